"""Live streams of bots with a `streaming` option, driven by the bot engine's status changes.

Input (the meeting to the user): when the bot starts recording, the mock dials
`streaming.input` (a WebSocket client) and sends the recording as binary frames of raw
PCM (16-bit little-endian mono at `audio_frequency`) of `CHUNK_MS` each (the last one
before a pause or the end may be shorter), with the speaker changes as JSON text frames
just before the frame in which they happen. Frames are released by clock timers, one per
chunk, at the recording's pace: in realtime at the clock's speed, in manual mode as
`advance` crosses them. A pause stops the timers, a resume continues, `call_ended` sends
what is left and closes with 1000.

Output (the user's bot speaking into the meeting): the mock dials `streaming.output` too
(the same connection when both URLs are equal) and records every binary frame it is sent:
frames, bytes, the duration they hold at the declared rate, voiced stretches and malformed
frames (text, empty, odd length). Frames sent while recording is paused are discarded (the
docs: no audio is forwarded until resume) and counted.

Failures never touch the bot: a refused, dropped or slow connection is journaled and dialed
again after a backoff on the virtual clock (1, 2, 4 … 30 s); the input resumes with the
first frame not completely written, so no audio is lost or repeated. After the call ended,
a stream still owing audio gets `END_ATTEMPTS` more tries, then gives up (journaled).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..bots import lifecycle as lc
from ..bots.models import Bot
from ..clock import REALTIME, Clock, iso
from . import timeline
from .audio import SAMPLE_BYTES, Synth, Word, pcm_bytes, rate_of, speaker_pitches

log = logging.getLogger("mockbaas.streaming")

CHUNK_MS = 100
RETRY_MAX_S = 30
END_ATTEMPTS = 5
#: real seconds a connection attempt or one frame's write may take before it counts as failed
TIMEOUT_S = 10.0
#: a voiced output frame peaks above this (16-bit full scale is 32767)
VOICE_PEAK = 500
#: silence that ends an utterance of the user's bot
UTTERANCE_GAP_MS = 300
#: realtime: the input is journaled as lagging when it owes more than this much audio
LAG_WARN_MS = 5000
JOURNAL_MAX = 1000
#: lateness samples kept per stream (realtime), for the benchmark's percentiles
LATE_KEEP = 10_000
#: how often `settle` looks again (real seconds)
SETTLE_POLL_S = 0.002


def target_problem(url: str, check: Callable[[str], str | None] | None = None) -> str | None:
    """Why the mock will not dial `url`, or None: WebSocket URLs only, and only to hosts
    the webhook target policy allows (`check`, loopback by default); never resolved."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - out of 0-65535 or not digits: ValueError
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        return "not a ws:// or wss:// URL"
    if check is None:
        return None
    # the policy speaks of http(s); a ws URL goes to the same host and port
    as_http = ("https" if parts.scheme == "wss" else "http") + url[len(parts.scheme) :]
    refusal = check(as_http)
    if refusal is None:
        return None
    # name the URL the caller sent, as the URL it is
    refusal = refusal.replace(repr(as_http), repr(url)).replace("a webhook URL", "a URL")
    return "stream target refused: " + refusal.removeprefix("webhook target refused: ")


def config_of(bot: Bot) -> dict[str, Any]:
    """The bot's streaming option, v1 shape (`input`, `output`, `audio_frequency`): its
    `streaming`, or a v2 bot's `streaming_config` when `streaming_enabled` (sample rates
    as numbers there: 16000 is `16khz`)."""
    if bot.params.streaming is not None:
        return bot.params.streaming.as_dict()
    request = bot.params.v2
    if request is None or not request.get("streaming_enabled"):
        return {}
    v2 = request.get("streaming_config") or {}
    hertz = v2.get("audio_frequency")
    return {
        "input": v2.get("input_url"),
        "output": v2.get("output_url"),
        "audio_frequency": f"{int(hertz) // 1000}khz" if hertz else None,
    }


class Heard:
    """What the user's bot said into the meeting (the output stream).

    Frames are played one after another: a frame that arrives while earlier audio is
    still playing starts where that audio ends (a bot may send faster than real time), one
    that arrives later starts when it arrives. An utterance is a stretch of voiced frames
    with less than `UTTERANCE_GAP_MS` of silence (or nothing) between them."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frames = 0
        self.bytes = 0
        self.voiced_samples = 0
        self.discarded_while_paused = 0
        self.malformed: list[dict[str, Any]] = []
        self.utterances: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self._cursor = 0.0  # virtual ms where the audio played so far ends
        self._voiced_end = 0.0  # virtual ms where the last voiced frame ends

    def add(self, data: bytes, at: int, live: bool) -> None:
        if not data:
            self._bad(at, "empty frame")
            return
        if len(data) % SAMPLE_BYTES:
            self._bad(at, f"{len(data)} bytes: not whole 16-bit samples")
            return
        if not live:
            self.discarded_while_paused += 1
            return
        samples = array("h", data)
        if sys.byteorder == "big":  # the wire format is little-endian
            samples.byteswap()
        count = len(samples)
        self.frames += 1
        self.bytes += len(data)
        start = max(float(at), self._cursor)
        self._cursor = start + count * 1000 / self.rate
        if max(max(samples), -min(samples)) <= VOICE_PEAK:
            return
        self.voiced_samples += count
        if self._open is not None and start - self._voiced_end >= UTTERANCE_GAP_MS:
            self._open = None
        if self._open is None:
            self._open = {"at": iso(round(start)), "start": start}
            self.utterances.append(self._open)
        self._voiced_end = self._open["end"] = self._cursor

    def text(self, at: int, size: int) -> None:
        self._bad(at, f"text frame ({size} chars): the output carries raw PCM")

    def _bad(self, at: int, reason: str) -> None:
        if len(self.malformed) < JOURNAL_MAX:
            self.malformed.append({"at": iso(at), "reason": reason})

    def view(self) -> dict[str, Any]:
        per_second = self.rate * SAMPLE_BYTES
        return {
            "frames": self.frames,
            "bytes": self.bytes,
            "seconds": self.bytes / per_second,
            "speech_seconds": self.voiced_samples / self.rate,
            "utterances": [
                {"at": u["at"], "seconds": round((u["end"] - u["start"]) / 1000, 3)}
                for u in self.utterances
            ],
            "malformed": list(self.malformed),
            "discarded_while_paused": self.discarded_while_paused,
        }


class Link:
    """One WebSocket connection the mock dials: the input, the output, or both."""

    def __init__(self, stream: BotStream, url: str, roles: tuple[str, ...]) -> None:
        self.stream = stream
        self.url = url
        self.roles = roles
        self.name = "+".join(roles)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.state = "idle"
        self.attempts = 0
        self.failures = 0  # in a row
        self.connections = 0
        self._closing = False
        self._closed = False  # the close handshake is over (and journaled)
        self._retry: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        """A dial or a close handshake is under way: `advance` waits for it."""
        return self.state == "connecting" or (self._closing and not self._closed)

    @property
    def open(self) -> bool:
        return self.ws is not None and not self.ws.closed

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def connect(self) -> None:
        if self.state in ("connecting", "open", "closed", "gave_up"):
            return
        problem = target_problem(self.url, self.stream.hub.target_check)
        if problem is not None:
            self.state = "gave_up"
            self.stream.note(self.name, "refused_target", f"{self.url!r}: {problem}; never dialed")
            return
        self.state = "connecting"
        # journaled when due; the dial itself runs on the loop (in manual mode, once the
        # advance that made it due yields: `advance` waits for it to settle)
        self.attempts += 1
        self.stream.note(self.name, "connecting", f"attempt {self.attempts}")
        self._spawn(self._connect())

    async def _connect(self) -> None:
        hub = self.stream.hub
        try:
            ws = await hub.session().ws_connect(
                self.url,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=hub.timeout),
                max_msg_size=0,
                autoping=True,
            )
        except aiohttp.WSServerHandshakeError as exc:
            self._failed("refused", f"HTTP {exc.status} to the WebSocket upgrade")
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._failed("refused", f"{type(exc).__name__}: {exc}")
            return
        if self.state != "connecting":  # closed meanwhile (reset, shutdown)
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
            return
        self.ws = ws
        self.state = "open"
        self.failures = 0
        self.connections += 1
        self.stream.note(self.name, "connected", f"connection {self.connections}")
        self._spawn(self._read(ws))
        if "input" in self.roles:
            self.stream.wake()  # the sender sends what is owed, and closes after the end
        elif self.stream.ended:
            await self.close(aiohttp.WSCloseCode.OK, "call_ended")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        stream = self.stream
        hears = "output" in self.roles
        async for msg in ws:
            if not hears:
                continue  # what a receiver sends back on the input is not audio to play
            now = stream.hub.clock.now()
            if msg.type == aiohttp.WSMsgType.BINARY:
                stream.heard.add(msg.data, now, stream.bot.status in lc.RECORDING_STATES)
            elif msg.type == aiohttp.WSMsgType.TEXT:
                stream.heard.text(now, len(msg.data))
        if ws is self.ws and not self._closing:
            self.dropped(f"closed by the endpoint (code {ws.close_code})")

    def dropped(self, why: str) -> None:
        """The connection broke (or was broken on purpose): journal it, dial again."""
        ws, self.ws = self.ws, None
        if ws is not None and not ws.closed:
            _abort(ws)
        self._failed("dropped", why)

    def _failed(self, event: str, detail: str) -> None:
        self.ws = None
        if self.state in ("closed", "gave_up"):
            return
        self.failures += 1
        stream = self.stream
        if stream.ended and (
            not stream.owes(self) or self.failures > END_ATTEMPTS or "input" not in self.roles
        ):
            self.state = "gave_up"
            owed = stream.released - stream.sent if "input" in self.roles else 0
            stream.note(self.name, event, detail)
            stream.note(self.name, "gave_up", f"call ended; {owed / 1000:g} s of audio undelivered")
            return
        delay = min(RETRY_MAX_S, 2 ** (self.failures - 1))
        self.state = "retrying"
        stream.note(self.name, event, f"{detail}; dialing again in {delay} s")
        self._retry = stream.hub.clock.call_later(
            delay, self._redial, f"stream {stream.bot.uuid} redial {self.name}"
        )

    async def _redial(self) -> None:
        self._retry = None
        if self.state == "retrying":
            self.state = "idle"
            self.connect()

    async def close(self, code: int, reason: str) -> None:
        if self.state in ("closed", "gave_up"):
            return
        self.state = "closed"
        self._closing = True
        if self._retry is not None:
            self._retry.cancel()
        ws, self.ws = self.ws, None
        if ws is not None and not ws.closed:
            try:
                async with asyncio.timeout(self.stream.hub.timeout):
                    await ws.close(code=code, message=reason.encode())
            except (TimeoutError, aiohttp.ClientError, OSError):
                _abort(ws)
        self.stream.note(self.name, "closed", f"code {code} ({reason})")
        self._closed = True

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def view(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "state": self.state,
            "attempts": self.attempts,
            "connections": self.connections,
        }


def _abort(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Break the TCP connection without a close frame (the peer sees 1006)."""
    writer = getattr(ws, "_writer", None)
    transport = getattr(writer, "transport", None)
    if transport is not None:
        transport.abort()


class BotStream:
    """The streams of one bot: a meeting timeline, its audio, and one or two links."""

    def __init__(self, hub: StreamHub, bot: Bot) -> None:
        self.hub = hub
        self.bot = bot
        config = config_of(bot)
        self.frequency = config.get("audio_frequency") or "24khz"
        self.rate = rate_of(self.frequency)
        self.chunk_ms = hub.chunk_ms
        self.planned: int | None = -1
        self.speakers: list[str] = []
        self.synth = Synth(self.rate, [])
        self.changes: list[tuple[int, list[tuple[int, bool]]]] = []
        self.prepare()
        self.next_change = 0
        self.released = 0  # recording ms whose frames are due
        self.sent = 0  # recording ms written to the input
        self.runs: list[tuple[int, int]] = []  # (virtual ms, recording ms) at each (re)start
        self.started = False
        self.ended = False
        self.frames = 0
        self.bytes = 0
        self.messages = 0
        self.worst_late_ms = 0.0
        self.late_samples: deque[float] = deque(maxlen=LATE_KEEP)  # the last ones
        self.lagging = False
        self.stall_until: int | None = None
        self.journal: list[dict[str, Any]] = []
        self.heard = Heard(self.rate)
        self._timer: Any = None
        self._stall_timer: Any = None
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        input_url = config.get("input")
        output_url = config.get("output")
        self.input: Link | None = None
        self.output: Link | None = None
        if input_url and input_url == output_url:
            self.input = self.output = Link(self, input_url, ("input", "output"))
        else:
            if input_url:
                self.input = Link(self, input_url, ("input",))
            if output_url:
                self.output = Link(self, output_url, ("output",))

    def prepare(self) -> None:
        """The planned meeting's words, audio and speaker changes. Done when the bot
        joins (a few ms of work, better spent before any stream is live) and again at
        the start of recording if the plan changed meanwhile."""
        planned = timeline.planned_ms(self.bot)
        if planned == self.planned:
            return
        bot = self.bot
        self.planned = planned
        self.speakers = timeline.speakers_of(bot)
        turns = timeline.turns_for(bot, planned)
        pitches = speaker_pitches(bot.seed, self.speakers)
        per_ms = self.rate // 1000
        words = []
        for n, turn in enumerate(turns):
            pitch = pitches[turn.speaker % len(pitches)] if pitches else 147
            for k, (start, end) in enumerate(turn.words):
                variant = (bot.seed + 7 * n + k) % 8
                words.append(Word(start * per_ms, end * per_ms, pitch, variant))
        self.synth = Synth(self.rate, words)
        self.changes = timeline.diarization(turns)

    @property
    def links(self) -> list[Link]:
        return list(dict.fromkeys(link for link in (self.input, self.output) if link))

    def note(self, stream: str, event: str, detail: str = "") -> None:
        entry = {"at": iso(self.hub.clock.now()), "stream": stream, "event": event}
        if detail:
            entry["detail"] = detail
        if len(self.journal) < JOURNAL_MAX:
            self.journal.append(entry)
        log.debug("bot %s stream %s: %s %s", self.bot.uuid, stream, event, detail)

    # -- the engine's status changes ----------------------------------------------------
    def start(self) -> None:
        self.started = True
        self.prepare()
        # a stream that starts mid-recording (its world was restarted from a saved state:
        # streams are not saved) begins with the audio recorded from now on
        offset = self.bot.recorded_until(self.hub.clock.now())
        if offset:
            self.sent = self.released = offset
            self.next_change = bisect_left([at for at, _ in self.changes], offset)
            self.note("input" if self.input else "output", "joined_late", f"at {offset / 1000:g} s")
        if self.input is not None:
            self._pump = asyncio.get_running_loop().create_task(self._send_loop())
        for link in self.links:
            link.connect()

    def record(self) -> None:
        """Recording (re)started: release frames at its pace."""
        now = self.hub.clock.now()
        self.runs.append((now, self.bot.recorded_until(now)))
        if self.runs[-1][1] != self.released:
            self.released = self.runs[-1][1]
        self._arm()

    def halt(self) -> None:
        """Recording stopped (pause, removal): release the partial chunk, stop."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.released = self.bot.recorded_until(self.hub.clock.now())
        self.wake()

    def end(self) -> None:
        self.halt()
        self.ended = True
        self.note("input" if self.input else "output", "call_ended", f"{self.released / 1000:g} s")
        for link in self.links:
            if link is not self.input or (link.state == "retrying" and not self.owes(link)):
                link._spawn(link.close(aiohttp.WSCloseCode.OK, "call_ended"))
        self.wake()

    def _arm(self) -> None:
        clock = self.hub.clock

        async def release() -> None:
            self._timer = None
            self.released = self.bot.recorded_until(clock.now())
            self._arm()
            self.wake()

        self._timer = clock.call_at(
            clock.now() + self.chunk_ms, release, f"stream {self.bot.uuid} chunk"
        )

    # -- sending the input ---------------------------------------------------------------
    def owes(self, link: Link) -> bool:
        return "input" in link.roles and self.sent < self.released

    def wake(self) -> None:
        self._wake.set()

    def _due(self, offset: int) -> int:
        """The virtual time at which the recording reached `offset` ms."""
        run = self.runs[0]
        for candidate in self.runs:
            if candidate[1] > offset:
                break
            run = candidate
        return run[0] + offset - run[1]

    def stall(self, seconds: float) -> None:
        clock = self.hub.clock
        self.stall_until = clock.now() + int(round(seconds * 1000))
        self.note("input", "stall", f"fault: nothing sent for {seconds:g} s")

        async def lift() -> None:
            self.stall_until = None
            self.note("input", "stall_over")
            self.wake()

        self._stall_timer = clock.call_at(self.stall_until, lift, f"stream {self.bot.uuid} stall")

    async def _send_loop(self) -> None:
        link = self.input
        assert link is not None
        clock = self.hub.clock
        realtime = clock.mode == REALTIME
        per_ms = self.rate // 1000
        while True:
            await self._wake.wait()
            self._wake.clear()
            if link.state in ("closed", "gave_up"):
                return  # nothing will ever be sent again: no idle task per finished bot
            ws = link.ws
            if ws is None or ws.closed or self.stall_until is not None:
                continue
            try:
                while self.sent < self.released and link.ws is ws and self.stall_until is None:
                    start = self.sent
                    stop = min(start + self.chunk_ms, self.released)
                    await self._send_changes(ws, stop)
                    data = self.synth.render(start * per_ms, (stop - start) * per_ms)
                    async with asyncio.timeout(self.hub.timeout):
                        await ws.send_bytes(data)
                    self.sent = stop
                    self.frames += 1
                    self.bytes += len(data)
                    if realtime:
                        self._lateness(clock, stop)
                if self.ended and self.sent >= self.released and link.ws is ws:
                    await self._send_changes(ws, self.released + 1)
                    await link.close(aiohttp.WSCloseCode.OK, "call_ended")
                    return
            except TimeoutError:
                if link.ws is ws:
                    link.dropped(f"slow: a frame was not written within {self.hub.timeout:g} s")
            except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
                if link.ws is ws:
                    link.dropped(f"{type(exc).__name__}: {exc}")

    async def _send_changes(self, ws: aiohttp.ClientWebSocketResponse, before: int) -> None:
        """Speaker changes at offsets before `before`, not sent yet (text frames)."""
        while self.next_change < len(self.changes):
            offset, changes = self.changes[self.next_change]
            if offset >= before or offset > self.released:
                return
            text = timeline.diarization_message(self.speakers, changes, self._due(offset))
            async with asyncio.timeout(self.hub.timeout):
                await ws.send_str(text)
            self.next_change += 1
            self.messages += 1

    def _lateness(self, clock: Clock, stop: int) -> None:
        late = max(0.0, (clock.wall_ms() - self._due(stop)) / clock.speed)
        self.late_samples.append(late)
        self.worst_late_ms = max(self.worst_late_ms, late)
        owed = self.released - self.sent
        if owed > LAG_WARN_MS and not self.lagging:
            self.lagging = True
            self.note("input", "lagging", f"{owed / 1000:g} s of audio waiting to be sent")
        elif self.lagging and owed <= self.chunk_ms:
            self.lagging = False
            self.note("input", "caught_up")

    def settled(self) -> bool:
        """Nothing is owed that could be sent now: no dial in progress, and an open input
        has sent every released frame (and closed, after the end). What `advance` waits for."""
        if not self.started:
            return True
        if any(link.busy for link in self.links):
            return False
        link = self.input
        if link is None or link.state != "open" or self.stall_until is not None:
            return True
        return self.sent >= self.released and not self.ended

    async def close(self, code: int, reason: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._pump is not None:
            self._pump.cancel()
        for link in self.links:
            await link.close(code, reason)
            link.cancel()

    # -- the control view -----------------------------------------------------------------
    def view(self) -> dict[str, Any]:
        inp: dict[str, Any] | None = None
        if self.input is not None:
            inp = self.input.view() | {
                "frames": self.frames,
                "bytes": self.bytes,
                "seconds": self.bytes / (self.rate * SAMPLE_BYTES),
                "diarization_messages": self.messages,
                "released_seconds": self.released / 1000,
                "sent_seconds": self.sent / 1000,
                "stalled_until": None if self.stall_until is None else iso(self.stall_until),
                "worst_lateness_ms": round(self.worst_late_ms, 1),
            }
        out: dict[str, Any] | None = None
        if self.output is not None:
            out = self.output.view() | self.heard.view()
        return {
            "bot_id": self.bot.uuid,
            "audio_frequency": self.frequency,
            "sample_rate": self.rate,
            "format": "pcm_s16le mono",
            "chunk_ms": self.chunk_ms,
            "speakers": list(self.speakers),
            "planned_seconds": None if self.planned is None else self.planned / 1000,
            "expected_input_bytes": pcm_bytes(self.released, self.rate),
            "input": inp,
            "output": out,
            "journal": list(self.journal),
        }


class StreamHub:
    """Every bot's streams; the engine calls `on_status` after each status change."""

    def __init__(
        self,
        clock: Clock,
        chunk_ms: int = CHUNK_MS,
        timeout: float = TIMEOUT_S,
        target_check: Callable[[str], str | None] | None = None,
    ) -> None:
        self.clock = clock
        self.chunk_ms = chunk_ms
        self.timeout = timeout
        #: the webhook target policy's `refusal`: checked before every dial
        self.target_check = target_check
        self.streams: dict[str, BotStream] = {}
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, force_close=True)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def on_status(self, bot: Bot, status: str) -> None:
        config = config_of(bot)
        if not (config.get("input") or config.get("output")):
            return
        stream = self.streams.get(bot.uuid)
        try:
            if stream is None:
                stream = self.streams[bot.uuid] = BotStream(self, bot)
            if status in lc.RECORDING_STATES:
                if not stream.started:
                    stream.start()
                stream.record()
            elif not stream.started or stream.ended:
                return
            elif status == lc.CALL_ENDED or bot.ended:
                stream.end()
            else:
                stream.halt()
        except Exception:  # a stream must never break the bot's life
            log.exception("stream of bot %s failed on %s", bot.uuid, status)

    def settled(self) -> bool:
        return all(stream.settled() for stream in self.streams.values())

    def pending_timers(self) -> int:
        """Clock timers the streams hold (a saved state leaves them out: streams are live)."""
        timers = [
            t
            for s in self.streams.values()
            for t in (s._timer, s._stall_timer, *(link._retry for link in s.links))
        ]
        return sum(1 for t in timers if t is not None and not t.cancelled)

    async def settle(self, timeout: float) -> bool:
        """Wait up to `timeout` real seconds until every stream has sent what is due."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.settled():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(SETTLE_POLL_S)
        return True

    def find(self, uuid: str) -> BotStream | None:
        return self.streams.get(uuid)

    def lateness(self) -> list[float]:
        return [late for s in self.streams.values() for late in s.late_samples]

    async def close(self, code: int = aiohttp.WSCloseCode.GOING_AWAY) -> None:
        """Reset or shutdown: close every stream (1001 by default) and the client."""
        streams, self.streams = list(self.streams.values()), {}
        await asyncio.gather(
            *(s.close(code, "mockbaas stopping") for s in streams), return_exceptions=True
        )
        if self._session is not None:
            await self._session.close()
            self._session = None
