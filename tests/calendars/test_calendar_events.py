"""Calendar events are typed `Event` objects; their wire shape is made in one place.

In process (no sockets): a calendar synced from the simulated provider, bots scheduled
and patched on its events, then every event rendered, read back as a saved world reads
it, and rendered again: the same bytes, and a contract-valid `Event` each time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from support import CREDS

from mockbaas.bots.params import from_calendar
from mockbaas.calendars.models import Event
from mockbaas.calendars.views import event_of, event_view
from mockbaas.clock import parse_iso
from mockbaas.config import Settings
from mockbaas.contract import Contract
from mockbaas.contract.jsonio import dumps
from mockbaas.core import MockBaaS


def _world() -> tuple[MockBaaS, list[Event]]:
    mock = MockBaaS(Settings(port=0))
    account = mock.accounts.authenticate("events-key")
    calendar = mock.calendars.create(account, CREDS)
    events = list(mock.calendars.calendars[calendar["uuid"]].events.values())
    first, second = events[0].uuid, events[1].uuid
    body: dict[str, Any] = {"bot_name": "Cal", "speech_to_text": "Default", "extra": None}
    mock.calendars.schedule(account, first, from_calendar(body), all_occurrences=True)
    mock.calendars.schedule(account, second, from_calendar({"bot_name": "Two"}), False)
    mock.calendars.patch(
        account, second, {"webhook_url": None, "streaming_input": "wss://x"}, False
    )
    return mock, events


def test_an_event_renders_reads_back_and_renders_the_same_bytes() -> None:
    contract = Contract.load()
    _, events = _world()
    assert any(e.bot_param is not None for e in events)
    for event in events:
        view = event_view(event)
        assert contract.compile({"$ref": "#/components/schemas/Event"}).is_valid(view)
        again = event_of(view)
        # the scheduled bot reads back as what the API shows (an unset extra is {})
        assert replace(again, bot_param=None) == replace(event, bot_param=None)
        assert dumps(event_view(again)) == dumps(view)


def test_times_are_milliseconds_the_view_shows_as_iso() -> None:
    _, events = _world()
    for event in events:
        view = event_view(event)
        assert parse_iso(view["start_time"]) == event.start_ms < event.end_ms
        assert view["is_recurring"] == (event.recurring_event_id is not None)
        assert list(view) == sorted(view)  # the key order the API has always had
