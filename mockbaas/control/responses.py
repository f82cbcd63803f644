"""The control API: drive the clock, push transitions, read the webhook journal.

Not part of the Meeting BaaS contract: it belongs to whoever runs the mock (a test, a CI
job), and `access.py` decides who that is. Inputs are checked and bad ones get a 4xx JSON
error.
"""

from __future__ import annotations

import hmac
import math
from typing import Any, Literal, overload

from aiohttp import web

from .. import __version__
from ..accounts.models import API_KEY_HEADER
from ..errors import invalid, not_found
from ..web.calls import MOCK, decode_json, json_response
from ..webhooks import STATES, Delivery
from .access import TOKEN_USED

MAX_ADVANCE_S = 366 * 24 * 3600
MAX_WAIT_S = 600.0


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    body = decode_json(raw)  # the API's parser: deep or odd JSON is a 400, not a crash
    if not isinstance(body, dict):
        raise invalid("body", "", "expected a JSON object")
    return body


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise invalid("body", name, "must be a finite number")
    return float(value)


@overload
def _text(body: dict[str, Any], name: str, required: Literal[True]) -> str: ...
@overload
def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None: ...
def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise invalid("body", name, "must be a non-empty string")
    return value


async def health(request: web.Request) -> web.Response:
    return json_response(200, {"ok": True, "version": __version__})


async def reset(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    await mock.reset()
    return json_response(200, {"ok": True, "clock": mock.clock.snapshot()})


async def clock(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    await mock.clock.run_due()
    return json_response(200, mock.clock.snapshot())


async def advance(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    seconds = _number(body, "seconds")
    if not 0 <= seconds <= MAX_ADVANCE_S:
        raise invalid("body", "seconds", f"must be between 0 and {MAX_ADVANCE_S}")
    wait = None
    if body.get("wait") is not None:
        wait = _number(body, "wait")
        if not 0 <= wait <= MAX_WAIT_S:
            raise invalid("body", "wait", f"must be between 0 and {MAX_WAIT_S:g} seconds")
    result = await mock.advance(seconds, wait)
    return json_response(200, {**result, **mock.clock.snapshot()})


async def list_bots(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    await mock.clock.run_due()
    return json_response(200, {"bots": [mock.bots.describe(b) for b in mock.bots.bots.values()]})


async def get_bot(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    await mock.clock.run_due()
    bot = mock.bots.find(request.match_info["uuid"])
    return json_response(200, mock.bots.describe(bot))


async def push_transition(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    status = _text(body, "status", required=True)
    data = {k: v for k, v in body.items() if k != "status"}  # the engine checks the rest
    await mock.clock.run_due()  # whatever was due happens first, then the push
    async with mock.clock.lock:
        bot = mock.bots.push(request.match_info["uuid"], status, **data)
    await mock.clock.run_due()
    return json_response(200, mock.bots.describe(bot))


async def scenarios(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    book = mock.scenarios
    return json_response(
        200,
        {
            "default": book.default.name,
            "scenarios": [s.summary() for s in book.by_name.values()],
        },
    )


async def webhooks(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    await mock.clock.run_due()
    q = request.query
    # a typo in a filter must not look like "no deliveries"
    if q.get("state") is not None and q["state"] not in STATES:
        raise invalid("query", "state", f"one of {list(STATES)}")
    events = {*mock.contract.webhooks, *mock.contract_v2.webhooks}  # v1 and v2 names
    if q.get("event") is not None and q["event"] not in events:
        raise invalid("query", "event", f"one of {sorted(events)}")
    found = mock.webhooks.query(q.get("bot_id"), q.get("event"), q.get("state"))
    return json_response(
        200,
        {"deliveries": [d.as_dict() for d in found], "journal": mock.webhooks.journal.stats()},
    )


def _delivery(request: web.Request) -> Delivery:
    delivery = request.app[MOCK].webhooks.get(request.match_info["id"])
    if delivery is None:
        raise not_found("delivery", request.match_info["id"])
    return delivery


async def webhook(request: web.Request) -> web.Response:
    await request.app[MOCK].clock.run_due()
    return json_response(200, _delivery(request).as_dict())


async def redeliver(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    delivery = _delivery(request)
    url = _text(body, "url")
    if url is not None:
        refusal = mock.targets.refusal(url)
        if refusal is not None:
            raise invalid("body", "url", refusal)
        if url != delivery.url:
            # the account's key goes only where the account or the operator sends it
            delivery.withhold_key = not _speaks_for(request, delivery)
    await mock.webhooks.redeliver(delivery, url)
    return json_response(200, delivery.as_dict())


def _speaks_for(request: web.Request, delivery: Delivery) -> bool:
    """The caller showed the control token, or the delivery's own account key."""
    if request.get(TOKEN_USED):
        return True
    key = request.headers.get(API_KEY_HEADER, "")
    return bool(key) and hmac.compare_digest(key.encode(), delivery.account_key.encode())


async def get_faults(request: web.Request) -> web.Response:
    return json_response(200, request.app[MOCK].webhooks.faults.as_dict())


async def set_faults(request: web.Request) -> web.Response:
    faults = request.app[MOCK].webhooks.faults
    body = await _body(request)
    unknown = set(body) - {"duplicate", "delay_seconds", "out_of_order"}
    if unknown:
        raise invalid("body", sorted(unknown)[0], "unknown fault")
    changes: dict[str, Any] = {}
    for name in ("duplicate", "out_of_order"):
        if name in body:
            if not isinstance(body[name], bool):
                raise invalid("body", name, "must be true or false")
            changes[name] = body[name]
    if "delay_seconds" in body:
        delay = _number(body, "delay_seconds")
        if not 0 <= delay <= MAX_ADVANCE_S:
            raise invalid("body", "delay_seconds", "must be between 0 and one year")
        changes["delay_seconds"] = delay
    for name, value in changes.items():  # all or nothing: a refused body changes nothing
        setattr(faults, name, value)
    return json_response(200, faults.as_dict())


async def calendar_sync(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    calendar = mock.calendars.calendars.get(request.match_info["uuid"])
    if calendar is None:
        raise not_found("calendar", request.match_info["uuid"])
    unknown = set(body) - {"add", "move", "delete"}
    if unknown:  # a typo must not pass for a plain sync
        raise invalid("body", sorted(unknown)[0], "unknown field; expected add, move or delete")
    changes: dict[str, Any] = {}
    for name in ("add", "move"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise invalid("body", name, "must be an integer from 0 to 100")
            changes[name] = value
    if "delete" in body:
        gone = body["delete"]
        if not isinstance(gone, list) or not all(isinstance(u, str) for u in gone):
            raise invalid("body", "delete", "must be a list of event uuids")
        changes["delete"] = gone
    async with mock.clock.lock:
        result = mock.calendars.control_sync(calendar, changes)
    await mock.clock.run_due()
    return json_response(
        200,
        {
            "calendar_id": calendar.uuid,
            "affected_event_uuids": result.affected,
            "status": calendar.status,
            "error_message": calendar.error_message,
        },
    )


async def traffic(request: web.Request) -> web.Response:
    """The API calls received; `violations=true` keeps those the contract refuses."""
    q = request.query
    flag = q.get("violations", "false").lower()
    if flag not in ("true", "false"):
        raise invalid("query", "violations", "must be true or false")
    mock = request.app[MOCK]
    operation_id = q.get("operation_id")
    # a typo in a filter must not look like "no such calls"
    if operation_id is not None and operation_id not in mock.contract.operations:
        raise invalid("query", "operation_id", f"one of {sorted(mock.contract.operations)}")
    found = mock.traffic.query(flag == "true", operation_id)
    return json_response(200, {"requests": [e.as_dict() for e in found]})
