"""Who may use the control API (`/_mockbaas/...`), which can read every account's bots
and webhooks, reset the world and redeliver webhooks anywhere.

The rule, checked before any control handler runs (media links, under the same prefix,
are protected by their own signature instead; with a token, the dashboard's static files,
which hold no data, are served without it):

- With a control token (`--control-token`, `MOCKBAAS_CONTROL_TOKEN`, or generated at
  start-up when the mock listens on a non-loopback address), every call must carry
  `Authorization: Bearer TOKEN`, or it is a 401. A caller holding the token is trusted
  from any address and under any Host name.
- Without a token, only clients in `Settings.control_clients` (loopback) are served, and
  the request must look like it comes from a local tool rather than a web page: its
  Host is an IP address, `localhost`, the `--host` name or the `--public-url` host (a
  DNS-rebinding page sends its own name), and its Origin, when it has one, is loopback,
  the `--host` name or the `--public-url` host (a cross-site page sends its own).
- Writes (POST, PUT, PATCH, DELETE) with a body or a Content-Type must be
  `Content-Type: application/json`, which an HTML form cannot send and a script on
  another site cannot send without a preflight that the mock never grants. (A bare
  `curl -X POST .../reset` has neither and is served.)
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from ..bots.media import MEDIA_PREFIX
from ..config import TOKEN_ENV, Settings
from ..errors import MockError
from . import UI_FILES

#: Set on a request whose caller showed the control token (redeliver reads it).
TOKEN_USED: web.RequestKey[bool] = web.RequestKey("control_token_used", bool)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """Whether a listening address (or name) is reachable from this machine only."""
    text = host.strip().strip("[]").lower()
    if text in LOCAL_NAMES or text.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # "", 0.0.0.0, ::, a LAN name: reachable from other machines


def ensure_control_token(settings: Settings, bound: str | None = None) -> bool:
    """Listening beyond loopback without a token: make one (os.urandom via `secrets`).
    True when it was generated here, so the caller can print it."""
    if settings.control_token or is_loopback(bound if bound is not None else settings.host):
        return False
    settings.control_token = secrets.token_urlsafe(24)
    return True


def _host_part(value: str) -> str:
    """`example.com:8080` -> `example.com`, `[::1]:80` -> `::1`."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class ControlGuard:
    """The control API's check; built once per app from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clients = [ipaddress.ip_network(c, strict=False) for c in settings.control_clients]
        own = {settings.host.lower()}
        if settings.public_url:
            own.add((urlsplit(settings.public_url).hostname or "").lower())
        self.own_names = {name for name in own if name} | set(LOCAL_NAMES)

    def _local_client(self, request: web.Request) -> bool:
        try:
            peer = ipaddress.ip_address((request.remote or "").split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer.version == net.version and peer in net for net in self.clients)

    def _known_name(self, host: str) -> bool:
        return host in self.own_names or host.endswith(".localhost")

    def _check_tokenless(self, request: web.Request) -> None:
        if not self._local_client(request):
            raise MockError(
                "forbidden",
                f"the control API answers loopback clients only (you are {request.remote}); "
                "start the mock with --control-token and send Authorization: Bearer TOKEN",
            )
        host = request.headers.get("Host")
        if host is not None:
            name = _host_part(host)
            if not (_is_address(name) or self._known_name(name)):
                raise MockError(
                    "forbidden",
                    f"Host {host!r} is not a name of this mock (DNS rebinding guard): call it "
                    "by IP address, localhost, its --host name or its --public-url host",
                )
        origin = request.headers.get("Origin")
        if origin is not None:
            name = (urlsplit(origin).hostname or "").lower() if origin != "null" else ""
            local = _is_address(name) and ipaddress.ip_address(name).is_loopback
            if not (local or self._known_name(name)):
                raise MockError(
                    "forbidden",
                    f"cross-site request refused (Origin {origin!r}): the control API serves "
                    "local tools, not web pages",
                )

    def check(self, request: web.Request) -> None:
        """Raise unless `request` (a control API request) may be served; the web layer
        calls it before the handler of every path under the control prefix."""
        path = request.path
        if path.startswith(MEDIA_PREFIX + "/"):
            return
        token = self.settings.control_token
        if token and request.method in ("GET", "HEAD") and path in UI_FILES:
            return  # the dashboard's files: no data, same for all
        if token:
            sent = request.headers.get("Authorization", "")
            scheme, _, credential = sent.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                # aiohttp keeps undecodable header bytes as surrogates: compare them as the
                # bytes they were, never fail on them
                credential.strip().encode("utf-8", "surrogateescape"),
                token.encode("utf-8", "surrogateescape"),
            ):
                raise MockError(
                    "unauthorized",
                    "the control API needs Authorization: Bearer TOKEN (the --control-token, "
                    f"or {TOKEN_ENV}, or the token the mock printed at start-up)",
                )
            request[TOKEN_USED] = True
        else:
            request[TOKEN_USED] = False
            self._check_tokenless(request)
        if request.method in WRITES and ("Content-Type" in request.headers or request.body_exists):
            media = request.content_type
            if media != "application/json" and not media.endswith("+json"):
                got = request.headers.get("Content-Type") or "no Content-Type"
                raise MockError(
                    "unsupported_media_type",
                    f"control API writes need Content-Type: application/json (got {got}); "
                    "cross-site form posts are refused",
                )
