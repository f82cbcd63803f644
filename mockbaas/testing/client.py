"""A small synchronous client for a running mock: the API with a key, and the control
API. Works against the in-process fixture and a `mockbaas serve` process alike."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..accounts.models import API_KEY_HEADER
from ..clock import parse_iso
from ..config import TOKEN_ENV

if TYPE_CHECKING:
    from .server import BackgroundServer


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class MockClient:
    """`control_token` is sent as `Authorization: Bearer` on control calls (default: the
    MOCKBAAS_CONTROL_TOKEN environment variable; a mock without a token ignores it)."""

    def __init__(
        self,
        base_url: str,
        api_key: str = "test-key",
        timeout: float = 60,
        control_token: str | None = None,
    ) -> None:
        self.url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.control_token = control_token or os.environ.get(TOKEN_ENV) or None
        #: The in-process server behind this client, when the pytest plugin started it.
        self.server: BackgroundServer | None = None

    # -- plain HTTP -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Response:
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(
                {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
            )
        sent = dict(headers or {})
        key = self.api_key if api_key is None else api_key
        if key and not path.startswith("/_mockbaas"):
            sent.setdefault(API_KEY_HEADER, key)
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent.setdefault("content-type", "application/json")
        req = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Response(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, dict(err.headers), err.read())

    def _control(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        sent = dict(headers or {})
        if self.control_token:
            sent["Authorization"] = f"Bearer {self.control_token}"
        if method != "GET" and body is None:
            body = {}  # control writes are JSON, even empty ones
        resp = self.request(
            method, "/_mockbaas" + path, json_body=body, params=clean or None, headers=sent
        )
        if resp.status >= 400:
            text = resp.body.decode("utf-8", "replace")
            raise RuntimeError(f"{method} /_mockbaas{path} -> {resp.status}: {text}")
        return resp.json()

    # -- the API, for convenience ---------------------------------------------------------
    def join(
        self,
        meeting_url: str = "https://meet.google.com/abc-defg-hij",
        scenario: str | None = None,
        **fields: Any,
    ) -> str:
        """Send a bot; `scenario` names the life it lives (`extra.mockbaas_scenario`)."""
        body: dict[str, Any] = {
            "meeting_url": meeting_url,
            "bot_name": "mockbaas bot",
            "reserved": False,
        }
        body.update(fields)
        if scenario is not None:
            body["extra"] = {**(body.get("extra") or {}), "mockbaas_scenario": scenario}
        resp = self.request("POST", "/bots/", json_body=body)
        if resp.status != 200:
            raise RuntimeError(f"POST /bots/ -> {resp.status}: {resp.body!r}")
        bot_id: str = resp.json()["bot_id"]
        return bot_id

    # -- the control API --------------------------------------------------------------------
    def reset(self) -> Any:
        return self._control("POST", "/reset")

    def clock(self) -> Any:
        return self._control("GET", "/clock")

    def advance(self, seconds: float, wait: float | None = None) -> Any:
        """Move virtual time, then wait (at most `wait` real seconds; the server's
        --advance-wait by default) for the webhook posts that fell due."""
        body: dict[str, Any] = {"seconds": seconds}
        if wait is not None:
            body["wait"] = wait
        return self._control("POST", "/clock/advance", body)

    def advance_to(self, moment: datetime | str) -> Any:
        """Advance to a virtual moment (an aware datetime, or ISO-8601; naive is UTC)."""
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.isoformat()
        return self._control("POST", "/clock/advance_to", {"time": moment})

    def advance_until(
        self,
        predicate: Callable[[], bool] | None = None,
        *,
        status: str | None = None,
        bot_id: str | None = None,
        max_seconds: float = 24 * 3600,
    ) -> Any:
        """Step from one due timer to the next until a bot (`bot_id`, else any) reached
        `status` (a status code, `complete` or `failed`), or until `predicate()` holds
        (checked between steps); at most `max_seconds` ahead, else AssertionError."""
        if (predicate is None) == (status is None):
            raise TypeError("give either a predicate or status=")
        if status is not None:
            body = {"status": status, "bot_id": bot_id, "max_seconds": max_seconds}
            found = self._control(
                "POST", "/clock/advance_until", {k: v for k, v in body.items() if v is not None}
            )
            if not found["reached"]:
                who = f"bot {bot_id} did not reach" if bot_id else "no bot reached"
                seen = f"; statuses {self.statuses(bot_id)}" if bot_id else ""
                raise AssertionError(
                    f"{who} {status} within {max_seconds:g} virtual seconds "
                    f"(now {found['now']}{seen})"
                )
            return found
        assert predicate is not None
        deadline = self.clock()["now_ms"] + int(round(max_seconds * 1000))
        while True:
            if predicate():
                return self.clock()
            state = self.clock()
            if state["next_due"] is None or parse_iso(state["next_due"]) > deadline:
                break
            self._control("POST", "/clock/advance_to", {"time": state["next_due"]})
        now = self.clock()["now_ms"]
        if now < deadline:
            self.advance((deadline - now) / 1000)
        if predicate():
            return self.clock()
        raise AssertionError(f"the predicate did not hold within {max_seconds:g} virtual seconds")

    def run_until_idle(self, max_seconds: float = 24 * 3600) -> Any:
        """Run timer after timer until none is pending (bounded); AssertionError if some
        still are `max_seconds` ahead."""
        found = self._control("POST", "/clock/run_until_idle", {"max_seconds": max_seconds})
        if not found["idle"]:
            raise AssertionError(
                f"{found['pending_timers']} timers still pending after {max_seconds:g} "
                f"virtual seconds (next due {found['next_due']})"
            )
        return found

    def bot(self, bot_id: str) -> Any:
        return self._control("GET", f"/bots/{bot_id}")

    def statuses(self, bot_id: str) -> list[str]:
        return [entry["code"] for entry in self.bot(bot_id)["history"]]

    def push(self, bot_id: str, status: str, **fields: Any) -> Any:
        return self._control("POST", f"/bots/{bot_id}/transition", {"status": status, **fields})

    def scenarios(self) -> Any:
        return self._control("GET", "/scenarios")

    def webhooks(
        self, bot_id: str | None = None, event: str | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        found = self._control("GET", "/webhooks", bot_id=bot_id, event=event, state=state)
        deliveries: list[dict[str, Any]] = found["deliveries"]
        return deliveries

    def redeliver(self, delivery_id: str, url: str | None = None) -> Any:
        """Post a delivery again. To a new `url`, it carries its account's key only when
        this client's key is that account's (or the control token is used)."""
        body = {"url": url} if url else {}
        headers = {API_KEY_HEADER: self.api_key} if self.api_key else None
        return self._control("POST", f"/webhooks/{delivery_id}/redeliver", body, headers)

    def trigger(
        self,
        event: str,
        bot_id: str | None = None,
        url: str | None = None,
        api_key: str | None = None,
    ) -> Any:
        """Send `event` now: again for `bot_id` (a bot or calendar that sent it), else
        from a new bot or calendar; to `url` when given. The deliveries it made."""
        body = {"event": event, "bot_id": bot_id, "url": url, "api_key": api_key}
        given = {k: v for k, v in body.items() if v is not None}
        return self._control("POST", "/webhooks/trigger", given)

    def set_faults(self, **faults: Any) -> Any:
        return self._control("PUT", "/webhooks/faults", faults)

    def stream(self, bot_id: str) -> Any:
        """The bot's live streams: input frames sent, output audio heard, the journal."""
        return self._control("GET", f"/bots/{bot_id}/stream")

    def stream_fault(
        self, bot_id: str, drop: bool | None = None, stall_seconds: float | None = None
    ) -> Any:
        """Break the bot's input connection (`drop`) or hold its frames (`stall_seconds`)."""
        body = {"drop": drop, "stall_seconds": stall_seconds}
        return self._control(
            "POST", f"/bots/{bot_id}/stream/faults", {k: v for k, v in body.items() if v}
        )

    def fault(
        self,
        operation_id: str | None = None,
        *,
        account: str | None = None,
        status: int | None = None,
        message: str | None = None,
        retry_after: int | None = None,
        latency_seconds: float | None = None,
        reset: bool | None = None,
        times: int | None = None,
        probability: float | None = None,
    ) -> dict[str, Any]:
        """Make API calls misbehave: `status` (+ `retry_after`), real `latency_seconds`,
        or `reset` (drop the connection), for calls to `operation_id` and/or by the key
        `account`, the next `times` of them or each with `probability` (seeded)."""
        body = {
            "operation_id": operation_id,
            "account": account,
            "status": status,
            "message": message,
            "retry_after": retry_after,
            "latency_seconds": latency_seconds,
            "reset": reset,
            "times": times,
            "probability": probability,
        }
        rule: dict[str, Any] = self._control(
            "POST", "/faults/api", {k: v for k, v in body.items() if v is not None}
        )
        return rule

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._control("GET", "/faults/api")["faults"]
        return faults

    def clear_faults(self, fault_id: int | None = None) -> Any:
        return self._control("DELETE", "/faults/api" + (f"/{fault_id}" if fault_id else ""))

    def sync_calendar(self, calendar_id: str, **changes: Any) -> Any:
        return self._control("POST", f"/calendars/{calendar_id}/sync", changes)

    # -- the simulated calendar provider (a Google / Microsoft account per credentials) -------
    def provider_account(self, platform: str, refresh_token: str) -> Any:
        """The account these credentials open (made on first use): calendars, events, tokens."""
        body = {"platform": platform, "oauth_refresh_token": refresh_token}
        return self._control("POST", "/provider/accounts", body)

    def _provider(self, email: str) -> str:
        return "/provider/accounts/" + urllib.parse.quote(email, safe="@")

    def provider_add_event(self, email: str, **fields: Any) -> Any:
        """Put an event (or, with `recurrence={"count": n}`, a series) on the account."""
        return self._control("POST", self._provider(email) + "/events", fields)

    def provider_change_event(self, email: str, event_id: str, **fields: Any) -> Any:
        """Change an event, a whole series (its id) or one occurrence (its own id)."""
        path = self._provider(email) + "/events/" + urllib.parse.quote(event_id, safe="")
        return self._control("PATCH", path, fields)

    def provider_cancel_event(self, email: str, event_id: str) -> Any:
        path = self._provider(email) + "/events/" + urllib.parse.quote(event_id, safe="")
        return self._control("DELETE", path)

    def provider_credentials(self, email: str, refresh_token: str, state: str) -> Any:
        """`revoked`, `expired`, or `valid` (again, or a new token for the same account)."""
        body = {"refresh_token": refresh_token, "state": state}
        return self._control("PUT", self._provider(email) + "/credentials", body)

    def provider_fail_syncs(self, email: str, count: int = 1, message: str | None = None) -> Any:
        body: dict[str, Any] = {"count": count}
        if message is not None:
            body["message"] = message
        return self._control("POST", self._provider(email) + "/failures", body)

    def requests(
        self, violations: bool = False, operation_id: str | None = None
    ) -> list[dict[str, Any]]:
        """API calls the mock received (oldest first); `violations` keeps the refused ones."""
        found = self._control("GET", "/requests", violations=violations, operation_id=operation_id)
        requests: list[dict[str, Any]] = found["requests"]
        return requests

    def assert_contract_kept(self) -> None:
        """Fail when the client under test made a call openapi.json refuses (400, 401,
        405, 413, 415, 422 or an unknown route), even if the app swallowed the error."""
        broken = self.requests(violations=True)
        if broken:
            lines = [
                f"{e['method']} {e['path']}{'?' + e['query'] if e['query'] else ''} -> "
                f"{e['status']}: {(e['error'] or {}).get('message', '')}"
                + (
                    f"ignored what the contract does not declare: {', '.join(e['ignored_params'])}"
                    if e.get("ignored_params")
                    else ""
                )
                for e in broken
            ]
            raise AssertionError(
                f"{len(broken)} call(s) broke the Meeting BaaS contract:\n  " + "\n  ".join(lines)
            )
