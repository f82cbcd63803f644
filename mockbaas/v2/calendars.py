"""v2 calendars: connections, their events and series, and calendar bots.

There is no provider behind it: the refresh token seeds the calendars it can see (the
same generator as v1's) and the connection's seed its events, so the same credentials
always show the same calendars and the same seed the same events. A refresh token that
starts with `invalid` fails to refresh (the documented 401). A sync is a typical
provider change (one new event, one moved). Calendar bots are v2 scheduled bots that
join at the event's start; cancelling one follows the scheduled bots' rules.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..accounts.models import Account
from ..bots import lifecycle as lc
from ..bots.transcript import seeded_faker
from ..calendars.provider import RawCalendar, raw_calendars
from ..clock import Clock, iso, maybe_iso
from ..errors import MockError, invalid, not_found
from ..ids import Ids
from .listing import paginate, parse_bound, split_csv

if TYPE_CHECKING:
    from .models import V2Bots

DAY_MS = 24 * 60 * 60 * 1000
WEEK_MS = 7 * DAY_MS
SUBSCRIPTION_MS = 7 * DAY_MS  # push subscriptions last a week
BAD_TOKEN_PREFIX = "invalid"
#: an event whose bot joined this long ago is skipped by a series delete
PAST_SKIP_MS = DAY_MS
NIL_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass
class Event:
    uuid: str
    series_id: str
    recurring: bool
    title: str
    start_ms: int
    end_ms: int
    meeting_url: str | None
    created_ms: int
    updated_ms: int
    attendees: list[dict[str, Any]]
    organizer_email: str
    organizer_name: str | None
    status: str = "confirmed"
    bot_id: str | None = None  # the scheduled bot on it


@dataclass
class Connection:
    uuid: str
    account: Account
    platform: str  # google | microsoft
    raw: RawCalendar
    refresh_token: str
    seed: int
    created_ms: int
    updated_ms: int
    synced_ms: int | None = None
    subscribed_ms: int = 0
    syncs: int = 0
    events: dict[str, Event] = field(default_factory=dict)


def _provider(platform: str) -> str:
    return "Google" if platform == "google" else "Microsoft"


class Calendars:
    def __init__(self, clock: Clock, ids: Ids, bots: V2Bots) -> None:
        self.clock = clock
        self.ids = ids
        self.bots = bots
        self.connections: dict[str, Connection] = {}

    # -- connections ---------------------------------------------------------------------
    def _refresh(self, body: dict[str, Any]) -> None:
        if body["oauth_refresh_token"].startswith(BAD_TOKEN_PREFIX):
            raise MockError(
                "unauthorized",
                "OAuth token refresh failed: the refresh token is invalid or expired",
            )

    def list_raw(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self._refresh(body)
        found = raw_calendars(_provider(body["calendar_platform"]), body["oauth_refresh_token"])
        return [
            {"id": c.id, "name": c.name, "email": c.email, "is_primary": c.is_primary}
            for c in found
        ]

    def connect(self, account: Account, body: dict[str, Any]) -> Connection:
        self._refresh(body)
        platform = body["calendar_platform"]
        found = raw_calendars(_provider(platform), body["oauth_refresh_token"])
        chosen = next((c for c in found if c.id == body["raw_calendar_id"]), None)
        if chosen is None:
            ids = ", ".join(c.id for c in found)
            raise invalid(
                "body",
                "raw_calendar_id",
                f"no calendar {body['raw_calendar_id']!r} for these credentials (they have: {ids})",
            )
        for other in self.connections.values():
            if other.account is account and other.raw.id == chosen.id:
                raise MockError(
                    "conflict", f"calendar {chosen.id} is already connected as {other.uuid}"
                )
        now = self.clock.now()
        connection = Connection(
            uuid=self.ids.uuid(),
            account=account,
            platform=platform,
            raw=chosen,
            refresh_token=body["oauth_refresh_token"],
            seed=self.ids.child_seed(),
            created_ms=now,
            updated_ms=now,
            subscribed_ms=now,
        )
        self.connections[connection.uuid] = connection
        self._initial_events(connection)
        connection.synced_ms = now
        self._notify(connection, "calendar.connection_created", self.created_view(connection))
        self._synced(connection, list(connection.events.values()))
        return connection

    def get(self, account: Account, uuid: str) -> Connection:
        connection = self.connections.get(uuid)
        if connection is None or connection.account is not account:
            raise not_found("calendar", uuid)
        return connection

    def update(self, account: Account, uuid: str, body: dict[str, Any]) -> Connection:
        connection = self.get(account, uuid)
        self._refresh(body)
        connection.refresh_token = body["oauth_refresh_token"]
        connection.updated_ms = self.clock.now()
        data = self.created_view(connection) | {"updated_at": iso(connection.updated_ms)}
        self._notify(connection, "calendar.connection_updated", data)
        return connection

    def delete(self, account: Account, uuid: str) -> None:
        connection = self.get(account, uuid)
        for event in connection.events.values():
            self._cancel_bot(event, skip_past=False)
        del self.connections[uuid]
        data = {
            "calendar_id": connection.uuid,
            "calendar_platform": connection.platform,
            "deleted_at": iso(self.clock.now()),
        }
        self._notify(connection, "calendar.connection_deleted", data)

    def resubscribe(self, account: Account, uuid: str) -> dict[str, Any]:
        connection = self.get(account, uuid)
        connection.subscribed_ms = connection.updated_ms = self.clock.now()
        return {"calendar_id": connection.uuid, "resubscribed_at": iso(connection.subscribed_ms)}

    def created_view(self, c: Connection) -> dict[str, Any]:
        return {
            "calendar_id": c.uuid,
            "calendar_platform": c.platform,
            "account_email": c.raw.email,
            "status": "active",
            "created_at": iso(c.created_ms),
        }

    def summary(self, c: Connection) -> dict[str, Any]:
        return self.created_view(c) | {"synced_at": maybe_iso(c.synced_ms)}

    def details(self, c: Connection) -> dict[str, Any]:
        return {
            "calendar_id": c.uuid,
            "calendar_platform": c.platform,
            "account_email": c.raw.email,
            "status": "active",
            "status_message": None,
            "subscription_id": f"sub-{c.uuid[:8]}-{c.subscribed_ms // 1000}",
            "subscription_expires_at": iso(c.subscribed_ms + SUBSCRIPTION_MS),
            "synced_at": maybe_iso(c.synced_ms),
            "sync_status": "success" if c.synced_ms is not None else None,
            "sync_error": None,
            "provider_metadata": None,
            "created_at": iso(c.created_ms),
            "updated_at": iso(c.updated_ms),
        }

    def list_calendars(self, account: Account, query: dict[str, Any]) -> dict[str, Any]:
        email = (query.get("account_email") or "").lower()
        platforms = split_csv(query.get("calendar_platform"))
        statuses = split_csv(query.get("status"))
        found = [
            c
            for c in self.connections.values()
            if c.account is account
            and email in c.raw.email.lower()
            and (not platforms or c.platform in platforms)
            and (not statuses or "active" in statuses)
        ]
        found.sort(key=lambda c: (c.created_ms, c.uuid), reverse=True)
        return paginate(found, lambda c: (c.created_ms, c.uuid), self.summary, query)

    # -- events ----------------------------------------------------------------------------
    def _initial_events(self, c: Connection) -> None:
        fake = seeded_faker(c.seed)
        rng = random.Random(c.seed)
        now = self.clock.now()
        day0 = now - now % DAY_MS
        for index in range(8):
            start = (
                day0
                + rng.randint(-2, 10) * DAY_MS
                + rng.randint(8, 17) * 3_600_000
                + rng.choice((0, 30)) * 60_000
            )
            recurring = index % 3 == 0
            first = self._add_event(c, fake, rng, self.ids.uuid(), recurring, start)
            for week in range(1, 3 if recurring else 1):
                # the same meeting every week: same link, title and guests
                again = dataclasses.replace(
                    first,
                    uuid=self.ids.uuid(),
                    start_ms=first.start_ms + week * WEEK_MS,
                    end_ms=first.end_ms + week * WEEK_MS,
                )
                c.events[again.uuid] = again

    def _add_event(
        self,
        c: Connection,
        fake: Any,
        rng: random.Random,
        series: str,
        recurring: bool,
        start: int,
    ) -> Event:
        kind = rng.choice(("zoom", "meet", "teams", None))
        if kind == "zoom":
            url: str | None = f"https://us02web.zoom.us/j/{rng.randint(10**9, 10**10 - 1)}"
        elif kind == "meet":
            url = "https://meet.google.com/" + fake.lexify("???-????-???")
        elif kind == "teams":
            url = "https://teams.microsoft.com/l/meetup-join/" + fake.lexify("19%3a" + "?" * 24)
        else:
            url = None  # not every event is a meeting
        attendees: list[dict[str, Any]] = [
            {"email": c.raw.email, "name": None, "response_status": "accepted", "self": True}
        ]
        for _ in range(rng.randint(1, 3)):
            attendees.append(
                {
                    "email": fake.company_email(),
                    "name": fake.name(),
                    "response_status": rng.choice(("accepted", "tentative", "needsAction")),
                }
            )
        organizer = attendees[rng.randrange(len(attendees))]
        organizer["organizer"] = True
        now = self.clock.now()
        event = Event(
            uuid=self.ids.uuid(),
            series_id=series,
            recurring=recurring,
            title=fake.catch_phrase(),
            start_ms=start,
            end_ms=start + rng.choice((30, 45, 60)) * 60_000,
            meeting_url=url,
            created_ms=now,
            updated_ms=now,
            attendees=attendees,
            organizer_email=organizer["email"],
            organizer_name=organizer["name"],
        )
        c.events[event.uuid] = event
        return event

    def sync(self, account: Account, uuid: str) -> None:
        """A provider sync: one new event, one moved by half an hour, announced."""
        c = self.get(account, uuid)
        c.syncs += 1
        fake = seeded_faker(c.seed + c.syncs)
        rng = random.Random(c.seed + c.syncs)
        start = self.clock.now() + rng.randint(2, 72) * 3_600_000
        added = self._add_event(c, fake, rng, self.ids.uuid(), False, start)
        live = [e for e in self._ordered(c) if e.status != "cancelled" and e is not added]
        now = self.clock.now()
        moved = next((e for e in live if e.start_ms > now), None)
        self._notify(c, "calendar.event_created", self._series_event(c, added, "instances"))
        if moved is not None:
            shift = rng.choice((-1, 1)) * 30 * 60_000
            moved.start_ms += shift
            moved.end_ms += shift
            moved.updated_ms = now
            bot = self._scheduled(moved)
            if bot is not None and bot.status == "scheduled":
                bot.join_ms = max(moved.start_ms, now)
                self.bots.scheduler.arm(bot)
            data = self._series_event(c, moved, "affected_instances")
            data["is_exception"] = moved.recurring
            self._notify(c, "calendar.event_updated", data)
        c.synced_ms = now
        self._synced(c, [added] + ([moved] if moved else []))

    def cancel_event(self, c: Connection, event: Event) -> None:
        """The organizer cancels (the control API's way in): the bot on it is cancelled."""
        event.status = "cancelled"
        event.updated_ms = self.clock.now()
        self._cancel_bot(event, skip_past=False)
        data = self._series_event(c, event, "cancelled_instances")
        data.pop("series_bot_scheduled")
        self._notify(c, "calendar.event_cancelled", data)

    def _ordered(self, c: Connection) -> list[Event]:
        return sorted(c.events.values(), key=lambda e: (e.start_ms, e.uuid))

    def event(self, account: Account, calendar_id: str, event_id: str) -> tuple[Connection, Event]:
        c = self.get(account, calendar_id)
        found = c.events.get(event_id)
        if found is None:
            raise not_found("event", event_id)
        return c, found

    def _scheduled(self, event: Event) -> Any:
        return self.bots.scheduler.scheduled.get(event.bot_id) if event.bot_id else None

    def bot_scheduled(self, event: Event) -> bool:
        bot = self._scheduled(event)
        return bot is not None and bot.status in ("scheduled", "completed")

    def event_fields(self, c: Connection, e: Event) -> dict[str, Any]:
        return {
            "event_id": e.uuid,
            "title": e.title,
            "start_time": iso(e.start_ms),
            "end_time": iso(e.end_ms),
            "status": e.status,
            "is_exception": False,
            "meeting_url": e.meeting_url,
            "meeting_platform": lc.platform_of(e.meeting_url) if e.meeting_url else None,
            "calendar_id": c.uuid,
            "bot_scheduled": self.bot_scheduled(e),
            "created_at": iso(e.created_ms),
        }

    def event_view(self, c: Connection, e: Event) -> dict[str, Any]:
        kind = "recurring" if e.recurring else "one_off"
        return {"series_id": e.series_id, "event_type": kind, **self.event_fields(c, e)}

    def event_details(self, c: Connection, e: Event) -> dict[str, Any]:
        view = self.event_view(c, e)
        del view["is_exception"], view["created_at"]
        return {
            **view,
            "description": None,
            "location": e.meeting_url,
            "timezone": "UTC",
            "is_all_day": False,
            "organizer_email": e.organizer_email,
            "organizer_name": e.organizer_name,
            "attendees": e.attendees,
            "calendar_platform": c.platform,
            "raw_payload": None,
            "created_at": iso(e.created_ms),
            "updated_at": iso(e.updated_ms),
        }

    def list_events(
        self, account: Account, calendar_id: str, query: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.get(account, calendar_id)
        start = parse_bound(query, "start_date")
        end = parse_bound(query, "end_date")
        statuses = split_csv(query.get("status"))
        show_cancelled = query.get("show_cancelled", True)
        found = [
            e
            for e in self._ordered(c)
            if (start is None or e.start_ms >= start)
            and (end is None or e.end_ms <= end)
            and (not statuses or e.status in statuses)
            and (show_cancelled or e.status != "cancelled")
        ]
        return paginate(
            found,
            lambda e: (e.start_ms, e.uuid),
            lambda e: self.event_view(c, e),
            query,
            descending=False,
        )

    def list_series(
        self, account: Account, calendar_id: str, query: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.get(account, calendar_id)
        kinds = split_csv(query.get("event_type"))
        show_cancelled = query.get("show_cancelled", True)
        series: dict[str, list[Event]] = {}
        for e in self._ordered(c):
            if show_cancelled or e.status != "cancelled":
                series.setdefault(e.series_id, []).append(e)
        heads = [
            events
            for events in series.values()
            if not kinds or ("recurring" if events[0].recurring else "one_off") in kinds
        ]

        def view(events: list[Event]) -> dict[str, Any]:
            first = events[0]
            return {
                "series_id": first.series_id,
                "event_type": "recurring" if first.recurring else "one_off",
                "calendar_id": c.uuid,
                "created_at": iso(first.created_ms),
                "events": [self.event_fields(c, e) for e in events],
            }

        return paginate(
            heads,
            lambda events: (events[0].start_ms, events[0].series_id),
            view,
            query,
            descending=False,
        )

    # -- calendar bots ---------------------------------------------------------------------
    def _targets(self, c: Connection, body: dict[str, Any]) -> list[Event]:
        """`all_occurrences`: every event of `series_id`; else the one `event_id` names
        (it decides the series: the official SDK sends a nil `series_id` with it)."""
        event_id = body.get("event_id")
        if not body["all_occurrences"]:
            if not event_id:
                raise invalid("body", "event_id", "required unless all_occurrences is true")
            event = c.events.get(event_id)
            if event is None or body["series_id"] not in (event.series_id, NIL_UUID):
                raise not_found("event", f"{event_id} in series {body['series_id']}")
            return [event]
        series = [e for e in self._ordered(c) if e.series_id == body["series_id"]]
        if not series:
            raise not_found("event series", body["series_id"])
        return series

    def schedule(self, account: Account, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        c = self.get(account, calendar_id)
        config = {k: v for k, v in body.items() if k not in ("series_id", "all_occurrences")}
        config.pop("event_id", None)
        data, errors = [], []
        now = self.clock.now()
        for event in self._targets(c, body):
            problem = None
            if event.status == "cancelled":
                problem = ("EVENT_CANCELLED", "the event is cancelled")
            elif event.meeting_url is None or lc.platform_of(event.meeting_url) is None:
                problem = ("NO_MEETING_URL", "the event has no Zoom, Meet or Teams link")
            elif event.start_ms <= now:
                if body["all_occurrences"]:
                    continue  # past occurrences are skipped
                problem = ("EVENT_IN_PAST", "the event has already started")
            elif self.bot_scheduled(event):
                problem = ("BOT_ALREADY_SCHEDULED", f"bot {event.bot_id} is already scheduled")
            if problem is not None:
                errors.append(_error(event, *problem))
                continue
            request = config | {"meeting_url": event.meeting_url}
            bot = self.bots.scheduler.add(
                account, request, event.start_ms, origin=f"calendar:{c.uuid}:{event.uuid}"
            )
            event.bot_id = bot.uuid
            data.append({"event_id": event.uuid})
        return {"success": True, "data": data, "errors": errors}

    def update_bots(
        self, account: Account, calendar_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.get(account, calendar_id)
        changes = {
            k: v for k, v in body.items() if k not in ("series_id", "all_occurrences", "event_id")
        }
        data, errors = [], []
        for event in self._targets(c, body):
            bot = self._scheduled(event)
            if bot is None or bot.status != "scheduled":
                if not body["all_occurrences"] or bot is not None:
                    errors.append(_error(event, "NO_BOT_SCHEDULED", "no bot waits on the event"))
                continue
            try:
                self.bots.scheduler.update(account, bot.uuid, changes)
            except MockError as error:
                errors.append(_error(event, "BOT_LOCKED", error.message))
                continue
            data.append({"event_id": event.uuid})
        return {"success": True, "data": data, "errors": errors}

    def unschedule(
        self, account: Account, calendar_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.get(account, calendar_id)
        data, errors = [], []
        for event in self._targets(c, body):
            if event.bot_id is None:
                if not body["all_occurrences"]:
                    errors.append(_error(event, "NO_BOT_SCHEDULED", "no bot on the event"))
                continue
            why = self._cancel_bot(event, skip_past=bool(body["all_occurrences"]))
            if why == "skipped":
                continue
            if why is not None:
                errors.append(_error(event, "BOT_NOT_CANCELLABLE", why))
                continue
            data.append({"event_id": event.uuid})
        return {"success": True, "data": data, "errors": errors}

    def _cancel_bot(self, event: Event, skip_past: bool) -> str | None:
        """Not launched: cancelled; launched and active: it leaves. Why not, else None."""
        bot = self._scheduled(event)
        if bot is None:
            return None
        if skip_past and bot.join_ms < self.clock.now() - PAST_SKIP_MS:
            return "skipped"
        if bot.status == "scheduled":
            self.bots.scheduler.cancel(bot)
        elif bot.status == "completed":
            launched = self.bots.engine.bots.get(bot.uuid)
            if launched is None or launched.ended:
                return f"bot {bot.uuid} has already ended"
            self.bots.leave(bot.account, bot.uuid)
        else:
            return f"bot {bot.uuid} is {bot.status}"
        event.bot_id = None if bot.status == "cancelled" else event.bot_id
        return None

    # -- webhooks --------------------------------------------------------------------------
    def instance(self, c: Connection, e: Event) -> dict[str, Any]:
        fields = self.event_fields(c, e)
        return {
            "event_id": e.uuid,
            "start": fields["start_time"],
            "end": fields["end_time"],
            "title": e.title,
            "status": e.status,
            "is_all_day": False,
            "is_exception": False,
            "bot_scheduled": fields["bot_scheduled"],
            "meeting_url": e.meeting_url,
            "meeting_platform": fields["meeting_platform"],
        }

    def _series_event(self, c: Connection, e: Event, key: str) -> dict[str, Any]:
        return {
            "calendar_id": c.uuid,
            "event_type": "recurring" if e.recurring else "one_off",
            "series_id": e.series_id,
            "series_bot_scheduled": any(
                self.bot_scheduled(o) for o in c.events.values() if o.series_id == e.series_id
            ),
            key: [self.instance(c, e)],
        }

    def _synced(self, c: Connection, events: list[Event]) -> None:
        groups: dict[str, list[Event]] = {}
        for e in sorted(events, key=lambda e: (e.start_ms, e.uuid)):
            groups.setdefault(e.series_id, []).append(e)
        data = {
            "calendar_id": c.uuid,
            "events": [
                {
                    "event_type": "recurring" if group[0].recurring else "one_off",
                    "series_id": series,
                    "series_bot_scheduled": any(self.bot_scheduled(e) for e in group),
                    "instances": [self.instance(c, e) for e in group],
                }
                for series, group in groups.items()
            ],
        }
        self._notify(c, "calendar.events_synced", data)

    def _notify(self, c: Connection, event: str, data: dict[str, Any]) -> None:
        self.bots.notify(c.account, c.uuid, None, event, data, with_extra=False)

    # -- state -----------------------------------------------------------------------------
    def dump(self) -> list[dict[str, Any]]:
        return [
            {
                **{f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.name != "events"},
                "account": c.account.key,
                "raw": dataclasses.asdict(c.raw),
                "events": [dataclasses.asdict(e) for e in c.events.values()],
            }
            for c in self.connections.values()
        ]

    def load(self, items: list[dict[str, Any]], accounts: dict[str, Account]) -> None:
        for item in items:
            events = [Event(**e) for e in item["events"]]
            fields = {k: v for k, v in item.items() if k not in ("events", "account", "raw")}
            c = Connection(
                **fields, account=accounts[item["account"]], raw=RawCalendar(**item["raw"])
            )
            c.events = {e.uuid: e for e in events}
            self.connections[c.uuid] = c


def _error(event: Event, code: str, message: str) -> dict[str, Any]:
    return {"event_id": event.uuid, "code": code, "message": message, "details": None}
