"""Control routes that steer the simulated calendar provider (under /_mockbaas/provider).

Each change is what a user would do in Google Calendar or Outlook; the provider then
notifies, so every calendar mirroring that account syncs at once and the answer says
what each sync announced.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..control import PREFIX
from ..control.responses import _body
from ..errors import invalid
from ..web.calls import MOCK, json_response
from .provider import GOOGLE, MICROSOFT, TOKEN_STATES, Account, Item

BASE = f"{PREFIX}/provider/accounts"


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise invalid("body", name, "must be a non-empty string")
    return value


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


async def _account(request: web.Request) -> Account:
    await request.app[MOCK].clock.run_due()
    return request.app[MOCK].calendars.provider.get(request.match_info["email"])


def _view(request: web.Request, account: Account) -> dict[str, Any]:
    provider = request.app[MOCK].calendars.provider
    return account.view(provider.tokens_of(account))


async def open_account(request: web.Request) -> web.Response:
    """The account behind credentials (made on first use, like a first sign-in)."""
    mock = request.app[MOCK]
    body = await _body(request)
    unknown = sorted(set(body) - {"platform", "oauth_refresh_token"})
    if unknown:
        raise invalid("body", unknown[0], "unknown field; expected platform, oauth_refresh_token")
    platform = _text(body, "platform")
    if platform not in (GOOGLE, MICROSOFT):
        raise invalid("body", "platform", "must be Google or Microsoft")
    token = _text(body, "oauth_refresh_token")
    async with mock.clock.lock:
        account = mock.calendars.provider.account_for(platform, token, mock.clock.now())
    return json_response(200, _view(request, account))


async def get_account(request: web.Request) -> web.Response:
    return json_response(200, _view(request, await _account(request)))


async def _changed(request: web.Request, answer: dict[str, Any]) -> web.Response:
    """After the change (made under the clock's lock): let due timers run, answer."""
    await request.app[MOCK].clock.run_due()
    return json_response(200, answer)


async def add_event(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    account = await _account(request)
    body = await _body(request)
    async with mock.clock.lock:
        item = mock.calendars.provider.add(account, body)
        answer = {"event": _item_view(account, item)}
        answer["synced"] = mock.calendars.provider_changed(account)
    return await _changed(request, answer)


async def change_event(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    account = await _account(request)
    body = await _body(request)
    async with mock.clock.lock:
        mock.calendars.provider.change(account, request.match_info["event_id"], body)
        answer = {"synced": mock.calendars.provider_changed(account)}
    return await _changed(request, answer)


async def cancel_event(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    account = await _account(request)
    async with mock.clock.lock:
        mock.calendars.provider.cancel(account, request.match_info["event_id"])
        answer = {"synced": mock.calendars.provider_changed(account)}
    return await _changed(request, answer)


async def set_credentials(request: web.Request) -> web.Response:
    """Revoke or expire a refresh token, make it valid again, or grant a new one."""
    mock = request.app[MOCK]
    account = await _account(request)
    body = await _body(request)
    unknown = sorted(set(body) - {"refresh_token", "state"})
    if unknown:
        raise invalid("body", unknown[0], "unknown field; expected refresh_token, state")
    token = _text(body, "refresh_token")
    state = body.get("state")
    if state not in TOKEN_STATES:
        raise invalid("body", "state", "must be one of " + ", ".join(TOKEN_STATES))
    async with mock.clock.lock:
        mock.calendars.provider.set_token(account, token, state)
        answer = {
            "tokens": mock.calendars.provider.tokens_of(account),
            "synced": mock.calendars.provider_changed(account),
        }
    return await _changed(request, answer)


async def fail_syncs(request: web.Request) -> web.Response:
    """The next `count` syncs against this account fail with `message`."""
    mock = request.app[MOCK]
    account = await _account(request)
    body = await _body(request)
    unknown = sorted(set(body) - {"count", "message"})
    if unknown:
        raise invalid("body", unknown[0], "unknown field; expected count, message")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
        raise invalid("body", "count", "must be an integer from 0 to 1000")
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or not message):
        raise invalid("body", "message", "must be a non-empty string")
    async with mock.clock.lock:
        if count == 0:
            account.failures.clear()
        mock.calendars.provider.fail_syncs(account, count, message)
    return json_response(200, {"failing_syncs": list(account.failures)})


def add_provider_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("POST", BASE, open_account)
    add("GET", f"{BASE}/{{email}}", get_account)
    add("POST", f"{BASE}/{{email}}/events", add_event)
    add("PATCH", f"{BASE}/{{email}}/events/{{event_id}}", change_event)
    add("DELETE", f"{BASE}/{{email}}/events/{{event_id}}", cancel_event)
    add("PUT", f"{BASE}/{{email}}/credentials", set_credentials)
    add("POST", f"{BASE}/{{email}}/failures", fail_syncs)
