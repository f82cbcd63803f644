"""Thin handlers for the calendar operations of the contract."""

from __future__ import annotations

from ..bots.params import from_calendar
from ..web.calls import Call, Reply
from .views import event_view, event_views


def list_raw_calendars(call: Call) -> Reply:
    return 200, call.mock.calendars.list_raw(call.body)


def list_calendars(call: Call) -> Reply:
    return 200, call.mock.calendars.list_calendars(call.account)


def create_calendar(call: Call) -> Reply:
    return 200, {"calendar": call.mock.calendars.create(call.account, call.body)}


def get_calendar(call: Call) -> Reply:
    return 200, call.mock.calendars.get(call.account, call.params["uuid"]).as_dict()


def update_calendar(call: Call) -> Reply:
    calendar = call.mock.calendars.update(call.account, call.params["uuid"], call.body)
    return 200, {"calendar": calendar.as_dict()}


def delete_calendar(call: Call) -> Reply:
    call.mock.calendars.delete(call.account, call.params["uuid"])
    return 200, None


def resync_all(call: Call) -> Reply:
    return 200, call.mock.calendars.resync_all(call.account)


def list_events(call: Call) -> Reply:
    page, cursor = call.mock.calendars.list_events(call.account, call.params)
    return 200, {"data": event_views(page), "next": cursor}


def get_event(call: Call) -> Reply:
    return 200, event_view(call.mock.calendars.get_event(call.account, call.params["uuid"]))


def schedule_record_event(call: Call) -> Reply:
    every = call.params.get("all_occurrences", False)
    params = from_calendar(call.body)
    events = call.mock.calendars.schedule(call.account, call.params["uuid"], params, every)
    return 200, event_views(events)


def patch_bot(call: Call) -> Reply:
    every = call.params.get("all_occurrences", False)
    return 200, event_views(
        call.mock.calendars.patch(call.account, call.params["uuid"], call.body, every)
    )


def unschedule_record_event(call: Call) -> Reply:
    every = call.params.get("all_occurrences", False)
    events = call.mock.calendars.unschedule(call.account, call.params["uuid"], every)
    return 200, event_views(events)
