"""The README's "Try it" block, run as written against a real server: a new user's first
commands must work after a plain `make run` as well as with `--deterministic`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from support import ROOT

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)


def try_it_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Try it") :]
    after = section[section.index("In another terminal:") :]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("epoch", [None, 0], ids=["plain", "deterministic"])
def test_the_try_it_curls_work_as_written(epoch):
    block = try_it_block()
    assert "http://127.0.0.1:8080" in block and "$BOT" in block
    with BackgroundServer(Settings(port=0, strict=True, epoch=epoch)) as server:
        script = block.replace("http://127.0.0.1:8080", server.url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    bot = done.stdout.splitlines()[0]
    if epoch == 0:
        assert bot == "e3e70682-c209-4cac-a29f-6fbed82c07cd"  # what the README shows
    out = done.stdout
    assert '"error"' not in out
    assert f'"uuid":"{bot}"' in out and '"duration":1800' in out
    assert '"event":"complete"' in out
    assert '"webhooks_settled":true' in out  # the advance waited for every post
