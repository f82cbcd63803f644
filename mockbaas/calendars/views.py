"""A calendar event as the API shows it (`Event`): the one place its wire shape is made.

Keys in alphabetical order, times as ISO strings: the bytes of every answer and of a
saved world (state.py stores events in this shape and reads them back with `event_of`).
"""

from __future__ import annotations

from typing import Any

from ..bots.params import from_calendar
from ..bots.views import scheduled_bot_param
from ..clock import iso, parse_iso
from .models import Event


def event_view(event: Event) -> dict[str, Any]:
    param = event.bot_param
    return {
        "attendees": event.attendees,
        "bot_param": None if param is None else scheduled_bot_param(param),
        "calendar_uuid": event.calendar_uuid,
        "deleted": event.deleted,
        "end_time": iso(event.end_ms),
        "google_id": event.google_id,
        "is_organizer": event.is_organizer,
        "is_recurring": event.is_recurring,
        "last_updated_at": iso(event.last_updated_ms),
        "meeting_url": event.meeting_url,
        "name": event.name,
        "raw": event.raw,
        "recurring_event_id": event.recurring_event_id,
        "start_time": iso(event.start_ms),
        "uuid": event.uuid,
    }


def event_views(events: list[Event]) -> list[dict[str, Any]]:
    return [event_view(e) for e in events]


def event_of(view: dict[str, Any]) -> Event:
    """`event_view` read back (a saved world's events)."""
    param = view["bot_param"]
    return Event(
        uuid=view["uuid"],
        calendar_uuid=view["calendar_uuid"],
        google_id=view["google_id"],
        name=view["name"],
        meeting_url=view["meeting_url"],
        start_ms=parse_iso(view["start_time"]),
        end_ms=parse_iso(view["end_time"]),
        is_organizer=view["is_organizer"],
        recurring_event_id=view["recurring_event_id"],
        attendees=view["attendees"],
        raw=view["raw"],
        last_updated_ms=parse_iso(view["last_updated_at"]),
        deleted=view["deleted"],
        bot_param=None if param is None else from_calendar(param),
    )
