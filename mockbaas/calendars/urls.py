"""Calendar operations by operationId (paths come from openapi.json)."""

from __future__ import annotations

from . import responses as r

HANDLERS = {
    "list_raw_calendars": r.list_raw_calendars,
    "list_calendars": r.list_calendars,
    "create_calendar": r.create_calendar,
    "get_calendar": r.get_calendar,
    "update_calendar": r.update_calendar,
    "delete_calendar": r.delete_calendar,
    "resync_all": r.resync_all,
    "resync_all_calendars": r.resync_all,  # the 2026 path, same operation
    "list_events": r.list_events,
    "get_event": r.get_event,
    "schedule_record_event": r.schedule_record_event,
    "patch_bot": r.patch_bot,
    "unschedule_record_event": r.unschedule_record_event,
}
