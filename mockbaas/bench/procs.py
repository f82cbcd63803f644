"""Child processes of a benchmark run: started on loopback, always stopped.

Every server the benchmark measures or talks to (the mock, the bare baseline, webhook
receivers) is a separate process, so one never steals the other's event loop. They run in
their own session (Ctrl-C reaches the benchmark alone, which then stops them in order) and,
on Linux, die with the benchmark even if it is killed outright.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

LOOPBACK = "127.0.0.1"
STOP_GRACE_S = 3.0  # SIGTERM first (the mock drains its webhooks), then SIGKILL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGTERM when the benchmark dies, however it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    """One server process on a loopback port."""

    def __init__(self, name: str, args: list[str], port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self._log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty child never blocks
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
            preexec_fn=preexec,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_up(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    resp.read()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:g} s")

    def log(self, limit: int = 2000) -> str:
        """The end of what the child wrote on stderr."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-limit:]

    def peak_rss_mb(self) -> float | None:
        """The process's peak resident set size so far (Linux VmHWM), in MB."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Children:
    """The processes of one section; `with Children() as kids:` stops them all on exit,
    whatever the exit (an error, a timeout, Ctrl-C)."""

    def __init__(self) -> None:
        self._kids: list[Child] = []

    def start(self, name: str, args: list[str], ready_path: str = "/") -> Child:
        port = free_port()
        child = Child(name, [a.replace("{port}", str(port)) for a in args], port)
        self._kids.append(child)  # before waiting: Ctrl-C while it starts still stops it
        child.wait_up(child.url + ready_path)
        return child

    def mock(self, *flags: str) -> Child:
        """A `mockbaas serve` on a free port, manual clock, quiet."""
        args = ["-m", "mockbaas", "serve", "--port", "{port}", "--clock", "manual"]
        return self.start("mock", [*args, "--log-level", "error", *flags], "/_mockbaas/health")

    def bare(self, payload_file: str) -> Child:
        return self.start(
            "bare aiohttp server",
            ["-m", "mockbaas.bench.servers", "bare", "--port", "{port}", payload_file],
            "/_bench/ready",
        )

    def receiver(self, *, delay: float = 0.0, hang: bool = False) -> Child:
        args = ["-m", "mockbaas.bench.servers", "receiver", "--port", "{port}"]
        args += ["--delay", str(delay)] + (["--hang"] if hang else [])
        return self.start("webhook receiver", args, "/_bench/stats")

    def stop_all(self) -> None:
        while self._kids:
            self._kids.pop().stop()

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM to the benchmark unwinds like Ctrl-C, so every `finally` stops its children."""

    def interrupt(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
