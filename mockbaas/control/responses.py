"""The control API: drive the clock, push transitions, read the webhook journal.

Not part of the Meeting BaaS contract: it belongs to whoever runs the mock (a test, a CI
job), and `access.py` decides who that is. Every route is described by our own
`contract/control.json` and registered from it like an API operation, so a body or a
query has passed its schemas before a handler runs; what is left here are the rules a
schema cannot say (relative to the world: a known bot, a known operation).
"""

from __future__ import annotations

import hmac
from typing import Any

from .. import __version__
from ..accounts.models import API_KEY_HEADER
from ..contract import Contract, control_path
from ..errors import invalid, not_found, one_of
from ..web.calls import Call, Incoming, Reply
from ..webhooks import Delivery
from .access import TOKEN_USED

#: how far one call may move time (control.json bounds every `seconds` field alike)
MAX_ADVANCE_S = 366 * 24 * 3600


def body_of(call: Call) -> dict[str, Any]:
    """The body `control.json` let through; an absent one is an empty object."""
    return call.body if isinstance(call.body, dict) else {}


def control_document(call: Call) -> Reply:
    """control.json, its `servers` set to this mock: every control route, its inputs and
    its answers, for a tool or a person scripting the mock."""
    document = Contract.load(control_path()).document
    return 200, {**document, "servers": [{"url": call.mock.bots.public_url}]}


def health(call: Call) -> Reply:
    return 200, {"ok": True, "version": __version__}


async def reset(call: Call) -> Reply:
    await call.mock.reset()
    return 200, {"ok": True, "clock": call.mock.clock.snapshot()}


async def clock(call: Call) -> Reply:
    await call.mock.clock.run_due()
    return 200, call.mock.clock.snapshot()


async def advance(call: Call) -> Reply:
    body = body_of(call)
    wait = body.get("wait")
    result = await call.mock.advance(float(body["seconds"]), None if wait is None else float(wait))
    return 200, {**result, **call.mock.clock.snapshot()}


async def list_bots(call: Call) -> Reply:
    mock = call.mock
    await mock.clock.run_due()
    return 200, {"bots": [mock.bots.describe(b) for b in mock.bots.bots.values()]}


async def get_bot(call: Call) -> Reply:
    mock = call.mock
    await mock.clock.run_due()
    return 200, mock.bots.describe(mock.bots.find(call.params["uuid"]))


async def push_transition(call: Call) -> Reply:
    mock = call.mock
    body = body_of(call)
    data = {k: v for k, v in body.items() if k != "status"}  # the engine checks the fit
    await mock.clock.run_due()  # whatever was due happens first, then the push
    async with mock.clock.lock:
        bot = mock.bots.push(call.params["uuid"], body["status"], **data)
    await mock.clock.run_due()
    return 200, mock.bots.describe(bot)


def scenarios(call: Call) -> Reply:
    book = call.mock.scenarios
    return 200, {
        "default": book.default.name,
        "scenarios": [s.summary() for s in book.by_name.values()],
    }


async def webhooks(call: Call) -> Reply:
    mock = call.mock
    await mock.clock.run_due()
    q = call.params  # `state` is an enum of control.json
    # a typo in a filter must not look like "no deliveries"
    events = {*mock.contract.webhooks, *mock.contract_v2.webhooks}  # v1 and v2 names
    if q.get("event") is not None and q["event"] not in events:
        raise invalid("query", "event", one_of(q["event"], events))
    found = mock.webhooks.query(q.get("bot_id"), q.get("event"), q.get("state"))
    return 200, {
        "deliveries": [d.as_dict() for d in found],
        "journal": mock.webhooks.journal.stats(),
    }


def _delivery(call: Call) -> Delivery:
    delivery = call.mock.webhooks.get(call.params["id"])
    if delivery is None:
        raise not_found("delivery", call.params["id"])
    return delivery


async def webhook(call: Call) -> Reply:
    await call.mock.clock.run_due()
    return 200, _delivery(call).as_dict()


async def redeliver(call: Call) -> Reply:
    mock = call.mock
    delivery = _delivery(call)
    url = body_of(call).get("url")
    if url is not None:
        refusal = mock.targets.refusal(url)
        if refusal is not None:
            raise invalid("body", "url", refusal)
        if url != delivery.url:
            # the account's key goes only where the account or the operator sends it
            delivery.withhold_key = not _speaks_for(call.request, delivery)
    await mock.webhooks.redeliver(delivery, url)
    return 200, delivery.as_dict()


def _speaks_for(request: Incoming, delivery: Delivery) -> bool:
    """The caller showed the control token, or the delivery's own account key."""
    if request.get(TOKEN_USED, False):
        return True
    key = request.headers.get(API_KEY_HEADER, "")
    return bool(key) and hmac.compare_digest(
        key.encode("utf-8", "surrogateescape"), delivery.account_key.encode()
    )


def get_faults(call: Call) -> Reply:
    return 200, call.mock.webhooks.faults.as_dict()


def set_faults(call: Call) -> Reply:
    """All or nothing: a refused body (control.json) changes nothing."""
    faults = call.mock.webhooks.faults
    for name, value in body_of(call).items():
        setattr(faults, name, float(value) if name == "delay_seconds" else value)
    return 200, faults.as_dict()


async def calendar_sync(call: Call) -> Reply:
    mock = call.mock
    calendar = mock.calendars.calendars.get(call.params["uuid"])
    if calendar is None:
        raise not_found("calendar", call.params["uuid"])
    async with mock.clock.lock:
        result = mock.calendars.control_sync(calendar, body_of(call))
    await mock.clock.run_due()
    return 200, {
        "calendar_id": calendar.uuid,
        "affected_event_uuids": result.affected,
        "status": calendar.status,
        "error_message": calendar.error_message,
    }


def traffic(call: Call) -> Reply:
    """The API calls received; `violations=true` keeps those the contract refuses."""
    mock = call.mock
    operation_id = call.params.get("operation_id")
    # a typo in a filter must not look like "no such calls"
    if operation_id is not None and operation_id not in mock.operation_ids:
        raise invalid("query", "operation_id", one_of(operation_id, mock.operation_ids))
    found = mock.traffic.query(call.params.get("violations", False), operation_id)
    return 200, {"requests": [e.as_dict() for e in found]}
