"""Control routes that steer the simulated calendar provider (under /_mockbaas/provider).

Each change is what a user would do in Google Calendar or Outlook; the provider then
notifies, so every calendar mirroring that account syncs at once and the answer says
what each sync announced. Bodies have the shapes control.json gives them; what an
event's fields mean together (an end after its start) the provider checks.
"""

from __future__ import annotations

from typing import Any

from ..control.responses import body_of
from ..web.calls import Call, Handler, Reply
from .provider import Account, Item


def _item_view(account: Account, item: Item) -> dict[str, Any]:
    instances = [
        i["id"]
        for i in account.instances(item.calendar_id).values()
        if i["id"] == item.id or i["recurring_event_id"] == item.id
    ]
    return {
        "id": item.id,
        "calendar_id": item.calendar_id,
        "name": item.name,
        "recurring": item.recurring,
        "instances": instances,
    }


async def _account(call: Call) -> Account:
    await call.mock.clock.run_due()
    return call.mock.calendars.provider.get(call.params["email"])


def _view(call: Call, account: Account) -> dict[str, Any]:
    return account.view(call.mock.calendars.provider.tokens_of(account))


async def open_account(call: Call) -> Reply:
    """The account behind credentials (made on first use, like a first sign-in)."""
    mock = call.mock
    body = body_of(call)
    platform, token = body["platform"], body["oauth_refresh_token"]
    async with mock.clock.lock:
        account = mock.calendars.provider.account_for(platform, token, mock.clock.now())
    return 200, _view(call, account)


async def get_account(call: Call) -> Reply:
    return 200, _view(call, await _account(call))


async def _changed(call: Call, answer: dict[str, Any]) -> Reply:
    """After the change (made under the clock's lock): let due timers run, answer."""
    await call.mock.clock.run_due()
    return 200, answer


async def add_event(call: Call) -> Reply:
    mock = call.mock
    account = await _account(call)
    body = body_of(call)
    async with mock.clock.lock:
        item = mock.calendars.provider.add(account, body)
        answer: dict[str, Any] = {"event": _item_view(account, item)}
        answer["synced"] = mock.calendars.provider_changed(account)
    return await _changed(call, answer)


async def change_event(call: Call) -> Reply:
    mock = call.mock
    account = await _account(call)
    body = body_of(call)
    async with mock.clock.lock:
        mock.calendars.provider.change(account, call.params["event_id"], body)
        answer = {"synced": mock.calendars.provider_changed(account)}
    return await _changed(call, answer)


async def cancel_event(call: Call) -> Reply:
    mock = call.mock
    account = await _account(call)
    async with mock.clock.lock:
        mock.calendars.provider.cancel(account, call.params["event_id"])
        answer = {"synced": mock.calendars.provider_changed(account)}
    return await _changed(call, answer)


async def set_credentials(call: Call) -> Reply:
    """Revoke or expire a refresh token, make it valid again, or grant a new one."""
    mock = call.mock
    account = await _account(call)
    body = body_of(call)
    token, state = body["refresh_token"], body["state"]
    async with mock.clock.lock:
        mock.calendars.provider.set_token(account, token, state)
        answer = {
            "tokens": mock.calendars.provider.tokens_of(account),
            "synced": mock.calendars.provider_changed(account),
        }
    return await _changed(call, answer)


async def fail_syncs(call: Call) -> Reply:
    """The next `count` syncs against this account fail with `message`."""
    mock = call.mock
    account = await _account(call)
    body = body_of(call)
    count: int = body.get("count", 1)
    async with mock.clock.lock:
        if count == 0:
            account.failures.clear()
        mock.calendars.provider.fail_syncs(account, count, body.get("message"))
    return 200, {"failing_syncs": list(account.failures)}


#: the routes of control.json this module answers, by operationId
HANDLERS: dict[str, Handler] = {
    "openProviderAccount": open_account,
    "getProviderAccount": get_account,
    "addProviderEvent": add_event,
    "changeProviderEvent": change_event,
    "cancelProviderEvent": cancel_event,
    "setProviderCredentials": set_credentials,
    "failProviderSyncs": fail_syncs,
}
