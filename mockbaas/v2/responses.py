"""Thin handlers for the v2 operations: one engine call, one `{success, data}` answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import invalid
from ..web.calls import Call, Reply, json_response
from . import targets


def _ok(data: Any, status: int = 200) -> tuple[int, Any]:
    return status, {"success": True, "data": data}


def _done(message: str) -> tuple[int, Any]:
    return _ok({"message": message})


def create_bot(call: Call) -> Reply:
    bot = call.mock.v2.create(call.account, call.body)
    return _ok({"bot_id": bot.uuid}, 201)


def batch_create_bots(call: Call) -> Reply:
    return 201, call.mock.v2.batch(call.account, call.body)


def list_bots(call: Call) -> Reply:
    return 200, call.mock.v2.list(call.account, call.params)


def get_bot_details(call: Call) -> Reply:
    v2 = call.mock.v2
    return _ok(v2.details(v2.get(call.account, call.params["bot_id"])))


def get_bot_status(call: Call) -> Reply:
    v2 = call.mock.v2
    return _ok(v2.status_view(v2.get(call.account, call.params["bot_id"])))


def get_bot_screenshots(call: Call) -> Reply:
    return 200, call.mock.v2.screenshots(call.account, call.params["bot_id"], call.params)


def leave_bot(call: Call) -> Reply:
    call.mock.v2.leave(call.account, call.params["bot_id"])
    return _done("The bot is leaving the meeting")


def send_chat_message(call: Call) -> Reply:
    call.mock.v2.send_chat(call.account, call.params["bot_id"], call.body["message"])
    return _done("Chat message sent")


def pause_recording(call: Call) -> Reply:
    call.mock.v2.pause(call.account, call.params["bot_id"], resume=False)
    return _done("Recording paused")


def resume_recording(call: Call) -> Reply:
    call.mock.v2.pause(call.account, call.params["bot_id"], resume=True)
    return _done("Recording resumed")


def delete_bot_data(call: Call) -> Reply:
    return _done(call.mock.v2.delete_data(call.account, call.params["bot_id"]))


def resend_final_webhook(call: Call) -> Reply:
    call.mock.v2.resend(call.account, call.params["bot_id"])
    return _done("Final webhook queued for delivery")


def retry_callback(call: Call) -> Reply:
    call.mock.v2.retry_callback(call.account, call.params["bot_id"], call.body)
    return _done("Callback queued for delivery")


def update_bot_config(call: Call) -> Reply:
    call.mock.v2.update_extra(call.account, call.params["bot_id"], call.body["extra"])
    return _done("Bot configuration updated")


# -- scheduled bots ---------------------------------------------------------------------
def create_scheduled_bot(call: Call) -> Reply:
    return _ok({"bot_id": call.mock.v2.scheduler.create(call.account, call.body).uuid}, 201)


def batch_create_scheduled_bots(call: Call) -> Reply:
    return 201, call.mock.v2.scheduler.batch(call.account, call.body)


def list_scheduled_bots(call: Call) -> Reply:
    return 200, call.mock.v2.scheduler.list_bots(call.account, call.params)


def get_scheduled_bot(call: Call) -> Reply:
    scheduler = call.mock.v2.scheduler
    return _ok(scheduler.details(scheduler.get(call.account, call.params["bot_id"])))


def update_scheduled_bot(call: Call) -> Reply:
    call.mock.v2.scheduler.update(call.account, call.params["bot_id"], call.body or {})
    return _done("Scheduled bot updated")


def delete_scheduled_bot(call: Call) -> Reply:
    return _done(call.mock.v2.scheduler.delete(call.account, call.params["bot_id"]))


# -- calendars ------------------------------------------------------------------------------
def list_raw_calendars(call: Call) -> Reply:
    return _ok(call.mock.v2.calendars.list_raw(call.body))


def create_calendar(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return _ok(calendars.created_view(calendars.connect(call.account, call.body)), 201)


def list_calendars(call: Call) -> Reply:
    return 200, call.mock.v2.calendars.list_calendars(call.account, call.params)


def get_calendar(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return _ok(calendars.details(calendars.get(call.account, call.params["calendar_id"])))


def delete_calendar(call: Call) -> Reply:
    call.mock.v2.calendars.delete(call.account, call.params["calendar_id"])
    return _done("Calendar connection deleted")


def update_calendar(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    c = calendars.update(call.account, call.params["calendar_id"], call.body)
    view = calendars.created_view(c)
    del view["created_at"]
    return _ok(view | {"updated_at": calendars.details(c)["updated_at"]})


def sync_calendar(call: Call) -> Reply:
    call.mock.v2.calendars.sync(call.account, call.params["calendar_id"])
    return _done("Calendar synced")


def resubscribe_calendar(call: Call) -> Reply:
    return _ok(call.mock.v2.calendars.resubscribe(call.account, call.params["calendar_id"]))


def list_events(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return 200, calendars.list_events(call.account, call.params["calendar_id"], call.params)


def list_event_series(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return 200, calendars.list_series(call.account, call.params["calendar_id"], call.params)


def get_event(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    c, event = calendars.event(call.account, call.params["calendar_id"], call.params["event_id"])
    return _ok(calendars.event_details(c, event))


def create_calendar_bot(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return 201, calendars.schedule(call.account, call.params["calendar_id"], call.body)


def update_calendar_bot(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return 200, calendars.update_bots(call.account, call.params["calendar_id"], call.body)


def delete_calendar_bot(call: Call) -> Reply:
    calendars = call.mock.v2.calendars
    return 200, calendars.unschedule(call.account, call.params["calendar_id"], call.body)


# -- Zoom credentials -------------------------------------------------------------------
def create_zoom_credential(call: Call) -> Reply:
    credentials = call.mock.v2.credentials
    return _ok(credentials.view(credentials.create(call.account, call.body)), 201)


def list_zoom_credentials(call: Call) -> Reply:
    return _ok(call.mock.v2.credentials.list(call.account, call.params))


def get_zoom_credential(call: Call) -> Reply:
    credentials = call.mock.v2.credentials
    return _ok(credentials.view(credentials.get(call.account, call.params["id"])))


def update_zoom_credential(call: Call) -> Reply:
    credentials = call.mock.v2.credentials
    updated = credentials.update(call.account, call.params["id"], call.body or {})
    return _ok(credentials.view(updated))


def delete_zoom_credential(call: Call) -> Reply:
    call.mock.v2.credentials.delete(call.account, call.params["id"])
    return _done("Zoom credential deleted")


# -- every v2 operation: rate limit, target policy, rate-limit headers --------------------
def guarded(handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
    """Count the call against the account's rate limit, refuse user-given URLs the
    target policy refuses (422 before anything changes), and add the rate-limit headers."""

    def run(call: Call) -> Reply:
        headers = call.mock.v2.limits.call(call.account.key, call.mock.clock.now())
        targets.check(call.mock.targets.refusal, call.body)
        result = handler(call)
        if headers and isinstance(result, tuple):
            return json_response(*result, headers=headers)
        return result

    run.__name__ = handler.__name__
    return run


# -- control API ----------------------------------------------------------------------------
def webhook_secret(call: Call) -> Reply:
    """The `whsec_` secret an account's v2 webhooks are signed with."""
    key = call.params["api_key"]
    return 200, {"api_key": key, "secret": call.mock.v2.secret(key)}


def participant_chat(call: Call) -> Reply:
    """A participant writes in the meeting's chat: the bot reports `bot.chat_message`."""
    body = call.body
    sender = body.get("sender_name", "Participant")
    call.mock.v2.chat_from_participant(call.params["uuid"], sender, body["text"])
    return 200, {"ok": True}


def get_account_limits(call: Call) -> Reply:
    """An account's v2 limits and usage."""
    key = call.params["api_key"]
    return 200, {"api_key": key, **call.mock.v2.limits.of(key).view(call.mock.clock.now())}


def set_account_limits(call: Call) -> Reply:
    """Set tokens, daily cap, rate limit (control.json bounds each; null lifts one)."""
    key = call.body["api_key"]
    limits = call.mock.v2.limits
    now = call.mock.clock.now()
    changes = {k: v for k, v in call.body.items() if k != "api_key"}
    view = limits.configure(key, changes, now) if changes else limits.of(key).view(now)
    return 200, {"api_key": key, **view}


def cancel_calendar_event(call: Call) -> Reply:
    """The organizer cancels an event: `calendar.event_cancelled`, its bot is cancelled."""
    calendars = call.mock.v2.calendars
    connection = calendars.connections.get(call.params["uuid"])
    if connection is None:
        raise invalid("path", "uuid", "no such v2 calendar")
    event = connection.events.get(call.params["event_id"])
    if event is None:
        raise invalid("path", "event_id", "no such event in this calendar")
    calendars.cancel_event(connection, event)
    return 200, {"ok": True}
