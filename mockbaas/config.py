"""Settings of one mock server: everything `mockbaas serve` and the fixture can set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .clock import MANUAL
from .webhooks import DEFAULT_SCHEDULE, DEFAULT_TIMEOUT, Faults
from .webhooks.journal import DEFAULT_JOURNAL_LIMIT

DEFAULT_MAX_BODY = 1024 * 1024
#: Where the control token is read from when none is given (`mockbaas serve`, `MockClient`).
TOKEN_ENV = "MOCKBAAS_CONTROL_TOKEN"
#: Real seconds `advance` waits for the webhook attempts it made due.
DEFAULT_ADVANCE_WAIT = 30.0
#: Real seconds a stopping server gives pending webhooks their last chance.
DEFAULT_DRAIN_TIMEOUT = 5.0


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 0
    api_keys: list[str] = field(default_factory=list)
    clock: str = MANUAL
    speed: float = 1.0
    start_time: datetime | None = None
    scenario_dirs: list[Path] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    webhook_timeout: float = DEFAULT_TIMEOUT
    faults: Faults = field(default_factory=Faults)
    #: settled webhook deliveries kept in the journal (pending ones are always kept)
    journal_limit: int = DEFAULT_JOURNAL_LIMIT
    advance_wait: float = DEFAULT_ADVANCE_WAIT
    #: seconds a v1 media link stays valid: the docs say two hours in one place and 24
    #: hours in others; two hours is the stricter reading
    link_ttl: float = 7200.0
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    #: validate every response against openapi.json and answer 500 on a breach
    strict: bool = False
    max_body: int = DEFAULT_MAX_BODY
    #: plain HTTP/1.1 API calls skip aiohttp's request machinery (web/lane.py); off, every
    #: call goes through aiohttp, for comparing the two when an answer looks wrong
    fast_lane: bool = True
    #: the base URL that media links point at; defaults to http://host:port
    public_url: str | None = None
    log_level: str = "info"
    #: id epoch mixed into the id streams (mockbaas/ids.py): 0 replays byte for byte,
    #: None picks a fresh one at start-up (what `mockbaas serve` does by default)
    epoch: int | None = 0
    #: save the world here and load it at start-up (mockbaas/state.py); None: in memory only
    state_file: Path | None = None
    #: real seconds between periodic saves of `state_file`
    state_interval: float = 5.0
    #: required as `Authorization: Bearer` on every control call when set (see
    #: control/access.py); generated at start-up when listening beyond loopback
    control_token: str | None = None
    #: who may use the control API without a token (CIDR ranges; loopback)
    control_clients: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    #: webhook targets allowed besides the --webhook-url / --public-url hosts; empty
    #: means loopback (see targets.py)
    webhook_allow: list[str] = field(default_factory=list)
    #: key of the media link signatures; None draws a random one per server, so links
    #: cannot be forged but differ between runs (pass one for reproducible links)
    media_secret: str | None = None

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"
