"""Calendar sync: connected Google/Microsoft calendars, their events, scheduled bots.

Behind the credentials sits a simulated provider account (provider.py) that changes
only when the user changes it through the control API. A calendar here mirrors one of
its calendars; a sync applies the difference and announces exactly the events it
touched with `calendar.sync_events` (nothing changed: nothing sent). A bot scheduled on
an event joins 4 minutes before it starts, through the same bot engine as POST /bots/.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..accounts.models import Account
from ..bots.models import RESERVED_LEAD_MS, BotBackend
from ..bots.params import BotParams, patch_calendar, scheduled_join
from ..bots.transcript import seeded_faker
from ..clock import Clock, Timer, parse_iso
from ..errors import MockError, not_found
from ..events import Outbox
from ..ids import Ids
from ..query import decode_cursor, encode_cursor, query_date
from . import provider as pv
from .provider import GOOGLE, Provider, RawCalendar
from .provider import raw_calendars as raw_calendars  # the v2 surface lists the same

PAGE_SIZE = 100  # the docs: events come in batches of 100
#: the maintenance guide's calendar states
SYNCING, ACTIVE, ERROR, DISCONNECTED = "syncing", "active", "error", "disconnected"


@dataclass(slots=True)
class Event:
    """One occurrence as the calendar mirrors it; times are virtual milliseconds."""

    uuid: str
    calendar_uuid: str
    google_id: str  # the provider's id of the occurrence
    name: str
    meeting_url: str
    start_ms: int
    end_ms: int
    is_organizer: bool
    recurring_event_id: str | None
    attendees: list[dict[str, Any]]
    raw: dict[str, Any]  # the provider's own JSON of it
    last_updated_ms: int
    deleted: bool = False
    bot_param: BotParams | None = None  # the bot scheduled on it

    @property
    def is_recurring(self) -> bool:
        return self.recurring_event_id is not None

    @property
    def organizer(self) -> str:
        found = self.raw["organizer"]
        email: str = found["email"] if "email" in found else found["emailAddress"]["address"]
        return email


@dataclass
class Calendar:
    uuid: str
    account: Account
    platform: str
    raw: RawCalendar
    credentials: dict[str, str]
    seed: int
    events: dict[str, Event] = field(default_factory=dict)
    #: provider event id -> event uuid
    by_provider: dict[str, str] = field(default_factory=dict)
    syncs: int = 0
    status: str = SYNCING
    error_message: str | None = None

    @property
    def token(self) -> str:
        return self.credentials["oauth_refresh_token"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.raw.email,
            "error_message": self.error_message,
            "google_id": self.raw.id,
            "name": self.raw.name,
            "resource_id": None,
            "status": self.status,
            "uuid": self.uuid,
        }


@dataclass
class SyncResult:
    affected: list[str]
    error: str | None = None


class CalendarBackend:
    def __init__(self, clock: Clock, ids: Ids, outbox: Outbox, bots: BotBackend) -> None:
        self.clock = clock
        self.ids = ids
        self.outbox = outbox
        self.bots = bots
        self.provider = Provider()
        self.calendars: dict[str, Calendar] = {}
        self._event_index: dict[str, Calendar] = {}
        self._bot_timers: dict[str, Timer] = {}

    # -- a saved world (mockbaas/state.py) -----------------------------------------------------
    def add(self, calendar: Calendar) -> None:
        """Index a loaded calendar and its events."""
        self.calendars[calendar.uuid] = calendar
        for uuid in calendar.events:
            self._event_index[uuid] = calendar

    def armed(self) -> dict[str, Timer]:
        """Event uuid -> the timer that sends its scheduled bot."""
        return dict(self._bot_timers)

    def rearm(self, calendar: Calendar, event_uuid: str) -> None:
        self._arm_bot(calendar, calendar.events[event_uuid])

    # -- calendars ----------------------------------------------------------------------------
    def _open(self, params: dict[str, Any]) -> pv.Account:
        return self.provider.open(
            params["platform"], params["oauth_refresh_token"], self.clock.now()
        )

    def list_raw(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self._open(params).calendars
        return {
            "calendars": [{"email": c.email, "id": c.id, "is_primary": c.is_primary} for c in found]
        }

    def get(self, account: Account, uuid: str) -> Calendar:
        calendar = self.calendars.get(uuid)
        if calendar is None or calendar.account is not account:
            raise not_found("calendar", uuid)
        return calendar

    def list_calendars(self, account: Account) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.calendars.values() if c.account is account]

    def create(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        """The new calendar as it stands when its first sync starts (`syncing`, as the
        docs' example answers); the events are there as soon as the call returns."""
        found = self._open(params).calendars
        wanted = params.get("raw_calendar_id")
        if wanted:
            chosen = next((c for c in found if c.id == wanted), None)
            if chosen is None:
                # a well-formed reference to something that does not exist: 404, like an id
                ids = ", ".join(c.id for c in found)
                raise MockError(
                    "not_found",
                    f"raw_calendar_id: no calendar {wanted!r} for these credentials "
                    f"(they have: {ids})",
                )
        else:
            chosen = found[0]
        calendar = Calendar(
            uuid=self.ids.uuid(),
            account=account,
            platform=params["platform"],
            raw=chosen,
            credentials=_credentials(params),
            seed=self.ids.child_seed(),
        )
        self.calendars[calendar.uuid] = calendar
        view = calendar.as_dict()
        self.sync(calendar)
        return view

    def update(self, account: Account, uuid: str, params: dict[str, Any]) -> Calendar:
        """New credentials (of the same provider account: the same calendar; of another:
        its primary). Scheduled bots are dropped, and announced with what the resync
        finds."""
        calendar = self.get(account, uuid)
        reached = self._open(params)
        if calendar.raw.id not in {c.id for c in reached.calendars}:
            # another account: the calendar follows the credentials to its primary
            calendar.raw = reached.primary()
        dropped = []
        for event in calendar.events.values():
            if event.bot_param is not None:
                self._unschedule(event)
                event.last_updated_ms = self.clock.now()
                dropped.append(event.uuid)
        calendar.platform = params["platform"]
        calendar.credentials = _credentials(params)
        self.sync(calendar, dropped)
        return calendar

    def delete(self, account: Account, uuid: str) -> None:
        calendar = self.get(account, uuid)
        for event_uuid, event in calendar.events.items():
            self._unschedule(event)
            self._event_index.pop(event_uuid, None)
        del self.calendars[uuid]

    def resync_all(self, account: Account) -> dict[str, Any]:
        synced: list[str] = []
        errors: list[list[str]] = []
        for calendar in list(self.calendars.values()):
            if calendar.account is account:
                error = self.sync(calendar).error
                if error is None:
                    synced.append(calendar.uuid)
                else:
                    errors.append([calendar.uuid, error])
        return {"errors": errors, "synced_calendars": synced}

    # -- syncs ----------------------------------------------------------------------------
    def sync(self, calendar: Calendar, touched: list[str] | None = None) -> SyncResult:
        """Mirror the provider calendar; announce the events that changed (and `touched`,
        events changed here). A dead token or a failing provider leaves the events as
        they were and sets the calendar's status and error_message."""
        touched = list(touched or [])
        source = self.provider.account_for(calendar.platform, calendar.token, self.clock.now())
        problem = self.provider.token_problem(calendar.platform, calendar.token)
        if problem is None:
            failure = self.provider.take_failure(source)
            problem = None if failure is None else (ERROR, failure)
        if problem is not None:
            calendar.status, calendar.error_message = problem
            self._announce(calendar, touched)
            return SyncResult(touched, problem[1])
        calendar.status, calendar.error_message = ACTIVE, None
        calendar.syncs += 1
        affected = touched + [
            u for u in self._apply(calendar, source.instances(calendar.raw.id)) if u not in touched
        ]
        self._announce(calendar, affected)
        return SyncResult(affected)

    def _apply(self, calendar: Calendar, fresh: dict[str, dict[str, Any]]) -> list[str]:
        now = self.clock.now()
        affected: list[str] = []
        for ident, instance in fresh.items():
            given = self._provider_fields(calendar, instance)
            uuid = calendar.by_provider.get(ident)
            if uuid is None:
                uuid = self.ids.uuid()
                calendar.events[uuid] = Event(
                    uuid=uuid, calendar_uuid=calendar.uuid, last_updated_ms=now, **given
                )
                calendar.by_provider[ident] = uuid
                self._event_index[uuid] = calendar
                affected.append(uuid)
                continue
            event = calendar.events[uuid]
            if not event.deleted and all(getattr(event, k) == v for k, v in given.items()):
                continue
            for name, value in given.items():
                setattr(event, name, value)
            event.deleted = False
            event.last_updated_ms = now
            if event.bot_param is not None:
                self._arm_bot(calendar, event)
            affected.append(uuid)
        for ident, uuid in calendar.by_provider.items():
            event = calendar.events[uuid]
            if ident not in fresh and not event.deleted:
                event.deleted = True
                event.last_updated_ms = now
                self._unschedule(event)
                affected.append(uuid)
        return affected

    def _provider_fields(self, calendar: Calendar, instance: dict[str, Any]) -> dict[str, Any]:
        """The provider occurrence as the Event fields it decides (the rest are ours)."""
        organizer = instance["organizer"]
        if calendar.platform == GOOGLE:
            raw = {
                "id": instance["id"],
                "summary": instance["name"],
                "organizer": {"email": organizer},
            }
        else:
            raw = {
                "id": instance["id"],
                "subject": instance["name"],
                "organizer": {"emailAddress": {"address": organizer}},
            }
        return {
            "google_id": instance["id"],
            "name": instance["name"],
            "meeting_url": instance["meeting_url"],
            "start_ms": parse_iso(instance["start_time"]),
            "end_ms": parse_iso(instance["end_time"]),
            "is_organizer": organizer == calendar.raw.email,
            "recurring_event_id": instance["recurring_event_id"],
            "attendees": [dict(a) for a in instance["attendees"]],
            "raw": raw,
        }

    def control_sync(self, calendar: Calendar, changes: dict[str, Any]) -> SyncResult:
        """The control API's shortcut: make `add` new meetings, `move` live ones by half
        an hour and cancel `delete` (event uuids) on the provider, then sync. Nothing
        named: a plain sync. An unknown event to delete refuses it before any change."""
        deleted = changes.get("delete", [])
        for uuid in deleted:
            if uuid not in calendar.events:
                raise not_found("event", uuid)
        source = self.provider.account_for(calendar.platform, calendar.token, self.clock.now())
        fake = seeded_faker(calendar.seed + calendar.syncs)
        rng = random.Random(calendar.seed + calendar.syncs)
        for _ in range(int(changes.get("add", 0))):
            start = self.clock.now() + rng.randint(1, 72) * 3_600_000
            self.provider.generated(source, calendar.raw.id, fake, rng, start)
        for uuid in deleted:
            if not calendar.events[uuid].deleted:
                self.provider.cancel(source, calendar.events[uuid].google_id)
        live = [e for u, e in calendar.events.items() if not e.deleted and u not in deleted]
        for event in live[: int(changes.get("move", 0))]:
            shift = rng.choice((-1, 1)) * 30 * 60_000
            self.provider.shift(source, event.google_id, shift)
        result = self.sync(calendar)
        self.provider_changed(source, skip=calendar)
        return result

    def provider_changed(
        self, source: pv.Account, skip: Calendar | None = None
    ) -> list[dict[str, Any]]:
        """The provider notifies a change: every calendar mirroring that account syncs."""
        results = []
        for calendar in list(self.calendars.values()):
            if calendar is skip:
                continue
            entry = self.provider.tokens.get((calendar.platform, calendar.token))
            if entry is None or entry[0] != source.email:
                continue
            result = self.sync(calendar)
            results.append(
                {
                    "calendar_id": calendar.uuid,
                    "affected_event_uuids": result.affected,
                    "status": calendar.status,
                    "error_message": calendar.error_message,
                }
            )
        return results

    def _announce(self, calendar: Calendar, affected: list[str]) -> None:
        if not affected:
            return  # nothing changed: nothing to announce
        data = {
            "calendar_id": calendar.uuid,
            "last_updated_ts": self.clock.now_iso(),
            "affected_event_uuids": affected,
        }
        self.outbox.send(
            calendar.account, "calendar.sync_events", data, url=None, subject=calendar.uuid
        )

    def get_event(self, account: Account, uuid: str) -> Event:
        calendar = self._event_index.get(uuid)
        if calendar is None or calendar.account is not account:
            raise not_found("event", uuid)
        return calendar.events[uuid]

    def list_events(
        self, account: Account, query: dict[str, Any]
    ) -> tuple[list[Event], str | None]:
        """A page of the calendar's events (start time order) and the next page's cursor."""
        calendar = self.get(account, query["calendar_id"])
        now = self.clock.now()
        status = query.get("status", "upcoming")
        # each filter in either spelling (the contract's or the docs' camelCase); both
        # given: both apply
        after = [query_date(query, k) for k in ("start_date_gte", "startDateGte")]
        before = [query_date(query, k) for k in ("start_date_lte", "startDateLte")]
        low = max((t for t in after if t is not None), default=None)
        high = min((t for t in before if t is not None), default=None)
        updated_after = query_date(query, "updated_at_gte")
        attendees = {v.lower() for k in ("attendee_email", "attendeeEmail") if (v := query.get(k))}
        organizers = {
            v.lower() for k in ("organizer_email", "organizerEmail") if (v := query.get(k))
        }
        selected = []
        for event in sorted(calendar.events.values(), key=lambda e: (e.start_ms, e.uuid)):
            start = event.start_ms
            if status == "upcoming" and start < now or status == "past" and start >= now:
                continue
            if low is not None and start < low or high is not None and start > high:
                continue
            if updated_after is not None and event.last_updated_ms < updated_after:
                continue
            if attendees - {a["email"].lower() for a in event.attendees}:
                continue
            if organizers and organizers != {event.organizer.lower()}:
                continue
            selected.append(event)
        offset = decode_cursor(query.get("cursor"))
        page = selected[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(selected)
        return page, encode_cursor(offset + PAGE_SIZE) if more else None

    def _targets(self, account: Account, uuid: str, all_occurrences: bool) -> list[Event]:
        event = self.get_event(account, uuid)
        if all_occurrences and event.recurring_event_id:
            calendar = self._event_index[uuid]
            return [
                e
                for e in calendar.events.values()
                if e.recurring_event_id == event.recurring_event_id
            ]
        return [event]

    def schedule(
        self, account: Account, uuid: str, params: BotParams, all_occurrences: bool
    ) -> list[Event]:
        targets = self._targets(account, uuid, all_occurrences)
        for event in targets:
            event.bot_param = params
            event.last_updated_ms = self.clock.now()
            self._arm_bot(self._event_index[event.uuid], event)
        return targets

    def patch(
        self, account: Account, uuid: str, changes: dict[str, Any], all_occurrences: bool
    ) -> list[Event]:
        """`changes` (BotParam3) over each scheduled bot: the fields it names replace."""
        targets = self._targets(account, uuid, all_occurrences)
        if not any(e.bot_param for e in targets):
            raise MockError("not_found", f"no bot is scheduled for event {uuid}")
        for event in targets:
            if event.bot_param is None:
                continue
            event.bot_param = patch_calendar(event.bot_param, changes)
            event.last_updated_ms = self.clock.now()
        return targets

    def unschedule(self, account: Account, uuid: str, all_occurrences: bool) -> list[Event]:
        targets = self._targets(account, uuid, all_occurrences)
        for event in targets:
            self._unschedule(event)
            event.last_updated_ms = self.clock.now()
        return targets

    def _unschedule(self, event: Event) -> None:
        event.bot_param = None
        self._disarm(event)

    def _disarm(self, event: Event) -> None:
        timer = self._bot_timers.pop(event.uuid, None)
        if timer is not None:
            timer.cancel()

    def _arm_bot(self, calendar: Calendar, event: Event) -> None:
        """The scheduled bot joins 4 minutes before the event, as a reserved bot does."""
        self._disarm(event)
        if event.start_ms < self.clock.now() or event.deleted:
            return

        async def send_bot() -> None:
            self._bot_timers.pop(event.uuid, None)
            param = event.bot_param
            if param is None or event.deleted or calendar.uuid not in self.calendars:
                return
            params = scheduled_join(param, event.meeting_url, event.start_ms, event.uuid)
            try:
                self.bots.join(calendar.account, params)
            except MockError:
                pass  # e.g. deduplication: the real service skips it the same way

        due = max(self.clock.now(), event.start_ms - RESERVED_LEAD_MS)
        self._bot_timers[event.uuid] = self.clock.call_at(
            due, send_bot, f"calendar event {event.uuid} bot"
        )


def _credentials(params: dict[str, Any]) -> dict[str, str]:
    return {k: params[k] for k in ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")}
