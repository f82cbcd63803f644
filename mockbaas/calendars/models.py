"""Calendar sync: connected Google/Microsoft calendars, their events, scheduled bots.

There is no real provider behind it: a refresh token seeds a plausible calendar (faker)
so the same credentials always show the same calendars and events. Syncs announce
changes with `calendar.sync_events`; a bot scheduled on an event joins 4 minutes before
it starts, through the same bot engine as POST /bots/.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from ..accounts.models import Account
from ..bots.models import (
    RESERVED_LEAD_MS,
    ZOOM_TOKEN_FIELDS,
    BotBackend,
    speech_to_text_fields,
)
from ..bots.transcript import seeded_faker
from ..clock import Clock, Timer, iso, parse_iso
from ..errors import MockError, not_found
from ..events import Outbox
from ..ids import Ids
from ..query import decode_cursor, encode_cursor, query_date

PAGE_SIZE = 100  # the docs: events come in batches of 100
DAY_MS = 24 * 60 * 60 * 1000


def _stable_seed(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass
class RawCalendar:
    id: str
    email: str
    is_primary: bool
    name: str


def raw_calendars(platform: str, refresh_token: str) -> list[RawCalendar]:
    """What the provider would list for these credentials: stable per refresh token."""
    seed = _stable_seed(platform, refresh_token)
    fake = seeded_faker(seed)
    rng = random.Random(seed)
    email = fake.email(safe=True).replace("example", fake.domain_word())
    found = [RawCalendar(email if platform == "Google" else "primary", email, True, "Calendar")]
    for _ in range(rng.randint(1, 2)):
        name = f"{fake.word().title()} Team"
        if platform == "Google":
            ident = f"{fake.lexify('????????????')}@group.calendar.google.com"
        else:
            ident = str(fake.uuid4())
        found.append(RawCalendar(ident, email, False, name))
    return found


@dataclass
class Calendar:
    uuid: str
    account: Account
    platform: str
    raw: RawCalendar
    credentials: dict[str, str]
    seed: int
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    syncs: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.raw.email,
            "google_id": self.raw.id,
            "name": self.raw.name,
            "resource_id": None,
            "uuid": self.uuid,
        }


class CalendarBackend:
    def __init__(self, clock: Clock, ids: Ids, outbox: Outbox, bots: BotBackend) -> None:
        self.clock = clock
        self.ids = ids
        self.outbox = outbox
        self.bots = bots
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
    def list_raw(self, params: dict[str, Any]) -> dict[str, Any]:
        found = raw_calendars(params["platform"], params["oauth_refresh_token"])
        return {
            "calendars": [{"email": c.email, "id": c.id, "is_primary": c.is_primary} for c in found]
        }

    def get(self, account: Account, uuid: str) -> Calendar:
        calendar = self.calendars.get(uuid)
        if calendar is None or calendar.account is not account:
            raise not_found("calendar", uuid)
        return calendar

    def list(self, account: Account) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.calendars.values() if c.account is account]

    def create(self, account: Account, params: dict[str, Any]) -> Calendar:
        found = raw_calendars(params["platform"], params["oauth_refresh_token"])
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
        self._initial_events(calendar)
        self._announce(calendar, list(calendar.events))
        return calendar

    def update(self, account: Account, uuid: str, params: dict[str, Any]) -> Calendar:
        calendar = self.get(account, uuid)
        for event in calendar.events.values():
            self._unschedule(event)
        calendar.platform = params["platform"]
        calendar.credentials = _credentials(params)
        self.sync(calendar)
        return calendar

    def delete(self, account: Account, uuid: str) -> None:
        calendar = self.get(account, uuid)
        for event_uuid, event in calendar.events.items():
            self._unschedule(event)
            self._event_index.pop(event_uuid, None)
        del self.calendars[uuid]

    def resync_all(self, account: Account) -> dict[str, Any]:
        synced = []
        for calendar in list(self.calendars.values()):
            if calendar.account is account:
                self.sync(calendar)
                synced.append(calendar.uuid)
        return {"errors": [], "synced_calendars": synced}

    # -- events ---------------------------------------------------------------------------
    def _initial_events(self, calendar: Calendar) -> None:
        fake = seeded_faker(calendar.seed)
        rng = random.Random(calendar.seed)
        now = self.clock.now()
        day0 = now - now % DAY_MS
        for index in range(12):
            day = rng.randint(-3, 10)
            start = (
                day0 + day * DAY_MS + rng.randint(8, 17) * 3_600_000 + rng.choice((0, 30)) * 60_000
            )
            recurring = index % 4 == 0
            series = f"series-{fake.lexify('????????')}" if recurring else None
            occurrences = 3 if recurring else 1
            for week in range(occurrences):
                self._add_event(calendar, fake, rng, start + week * 7 * DAY_MS, series)

    def _add_event(
        self,
        calendar: Calendar,
        fake: Faker,
        rng: random.Random,
        start: int,
        series: str | None,
    ) -> dict[str, Any]:
        platform = rng.choice(("zoom", "meet", "teams"))
        if platform == "zoom":
            url = f"https://us02web.zoom.us/j/{rng.randint(10**9, 10**10 - 1)}"
        elif platform == "meet":
            url = "https://meet.google.com/" + fake.lexify("???-????-???")
        else:
            url = "https://teams.microsoft.com/l/meetup-join/" + fake.lexify(
                "19%3ameeting_" + "?" * 24
            )
        organizer = rng.random() < 0.5
        attendees = [{"email": calendar.raw.email, "name": None}]
        for _ in range(rng.randint(1, 4)):
            attendees.append({"email": fake.company_email(), "name": fake.name()})
        uuid = self.ids.uuid()
        google_id = fake.lexify("?" * 26).lower()
        event = {
            "attendees": attendees,
            "bot_param": None,
            "calendar_uuid": calendar.uuid,
            "deleted": False,
            "end_time": iso(start + rng.choice((30, 45, 60)) * 60_000),
            "google_id": google_id,
            "is_organizer": organizer,
            "is_recurring": series is not None,
            "last_updated_at": self.clock.now_iso(),
            "meeting_url": url,
            "name": fake.catch_phrase(),
            "raw": {
                "id": google_id,
                "summary": None,
                "organizer": {"email": calendar.raw.email if organizer else attendees[-1]["email"]},
            },
            "recurring_event_id": series,
            "start_time": iso(start),
            "uuid": uuid,
        }
        event["raw"]["summary"] = event["name"]
        calendar.events[uuid] = event
        self._event_index[uuid] = calendar
        return event

    def sync(self, calendar: Calendar, changes: dict[str, Any] | None = None) -> list[str]:
        """One provider sync, announced. With no changes named, a typical provider change
        (one new meeting, one moved); once any of add/move/delete is named, the others are
        0, so `{"delete": [id]}` deletes and does nothing else.

        An unknown event to delete refuses the whole sync before anything changes.
        """
        changes = changes or {"add": 1, "move": 1}
        deleted = changes.get("delete", [])
        for uuid in deleted:
            if uuid not in calendar.events:
                raise not_found("event", uuid)
        calendar.syncs += 1
        fake = seeded_faker(calendar.seed + calendar.syncs)
        rng = random.Random(calendar.seed + calendar.syncs)
        affected: list[str] = []
        for _ in range(int(changes.get("add", 0))):
            start = self.clock.now() + rng.randint(1, 72) * 3_600_000
            affected.append(self._add_event(calendar, fake, rng, start, None)["uuid"])
        for uuid in deleted:
            event = calendar.events[uuid]
            event["deleted"] = True
            event["last_updated_at"] = self.clock.now_iso()
            self._unschedule(event)
            affected.append(uuid)
        live = [e for e in calendar.events.values() if not e["deleted"]]
        for event in live[: int(changes.get("move", 0))]:
            shift = rng.choice((-1, 1)) * 30 * 60_000
            for key in ("start_time", "end_time"):
                event[key] = iso(parse_iso(event[key]) + shift)
            event["last_updated_at"] = self.clock.now_iso()
            if event["bot_param"] is not None:
                self._arm_bot(calendar, event)
            affected.append(event["uuid"])
        self._announce(calendar, affected)
        return affected

    def _announce(self, calendar: Calendar, affected: list[str]) -> None:
        data = {
            "calendar_id": calendar.uuid,
            "last_updated_ts": self.clock.now_iso(),
            "affected_event_uuids": affected,
        }
        self.outbox.send(
            calendar.account, "calendar.sync_events", data, url=None, subject=calendar.uuid
        )

    def get_event(self, account: Account, uuid: str) -> dict[str, Any]:
        calendar = self._event_index.get(uuid)
        if calendar is None or calendar.account is not account:
            raise not_found("event", uuid)
        return calendar.events[uuid]

    def list_events(self, account: Account, query: dict[str, Any]) -> dict[str, Any]:
        calendar = self.get(account, query["calendar_id"])
        now = self.clock.now()
        status = query.get("status", "upcoming")
        bounds = {
            k: query_date(query, k) for k in ("start_date_gte", "start_date_lte", "updated_at_gte")
        }
        attendee = (query.get("attendee_email") or "").lower()
        organizer = (query.get("organizer_email") or "").lower()
        selected = []
        for event in sorted(calendar.events.values(), key=lambda e: (e["start_time"], e["uuid"])):
            start = parse_iso(event["start_time"])
            if status == "upcoming" and start < now or status == "past" and start >= now:
                continue
            if bounds["start_date_gte"] is not None and start < bounds["start_date_gte"]:
                continue
            if bounds["start_date_lte"] is not None and start > bounds["start_date_lte"]:
                continue
            updated = parse_iso(event["last_updated_at"])
            if bounds["updated_at_gte"] is not None and updated < bounds["updated_at_gte"]:
                continue
            if attendee and not any(a["email"].lower() == attendee for a in event["attendees"]):
                continue
            if organizer and event["raw"]["organizer"]["email"].lower() != organizer:
                continue
            selected.append(event)
        offset = decode_cursor(query.get("cursor"))
        page = selected[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(selected)
        return {"data": page, "next": encode_cursor(offset + PAGE_SIZE) if more else None}

    def _targets(self, account: Account, uuid: str, all_occurrences: bool) -> list[dict]:
        event = self.get_event(account, uuid)
        if all_occurrences and event["recurring_event_id"]:
            calendar = self._event_index[uuid]
            return [
                e
                for e in calendar.events.values()
                if e["recurring_event_id"] == event["recurring_event_id"]
            ]
        return [event]

    def schedule(
        self, account: Account, uuid: str, params: dict[str, Any], all_occurrences: bool
    ) -> list[dict[str, Any]]:
        targets = self._targets(account, uuid, all_occurrences)
        for event in targets:
            event["bot_param"] = _bot_param(params)
            event["last_updated_at"] = self.clock.now_iso()
            self._arm_bot(self._event_index[event["uuid"]], event)
        return targets

    def patch(
        self, account: Account, uuid: str, params: dict[str, Any], all_occurrences: bool
    ) -> list[dict[str, Any]]:
        targets = self._targets(account, uuid, all_occurrences)
        if not any(e["bot_param"] for e in targets):
            raise MockError("not_found", f"no bot is scheduled for event {uuid}")
        for event in targets:
            if event["bot_param"] is None:
                continue
            merged = dict(event["bot_param"])
            merged.update(_bot_param({**_request_view(merged), **params}, partial=True))
            event["bot_param"] = merged
            event["last_updated_at"] = self.clock.now_iso()
        return targets

    def unschedule(self, account: Account, uuid: str, all_occurrences: bool) -> list[dict]:
        targets = self._targets(account, uuid, all_occurrences)
        for event in targets:
            self._unschedule(event)
            event["last_updated_at"] = self.clock.now_iso()
        return targets

    def _unschedule(self, event: dict[str, Any]) -> None:
        event["bot_param"] = None
        self._disarm(event)

    def _disarm(self, event: dict[str, Any]) -> None:
        timer = self._bot_timers.pop(event["uuid"], None)
        if timer is not None:
            timer.cancel()

    def _arm_bot(self, calendar: Calendar, event: dict[str, Any]) -> None:
        """The scheduled bot joins 4 minutes before the event, as a reserved bot does."""
        self._disarm(event)
        start = parse_iso(event["start_time"])
        if start < self.clock.now() or event["deleted"]:
            return

        async def send_bot() -> None:
            self._bot_timers.pop(event["uuid"], None)
            param = event["bot_param"]
            if param is None or event["deleted"] or calendar.uuid not in self.calendars:
                return
            try:
                self.bots.join(calendar.account, _join_request(event, param))
            except MockError:
                pass  # e.g. deduplication: the real service skips it the same way

        due = max(self.clock.now(), start - RESERVED_LEAD_MS)
        self._bot_timers[event["uuid"]] = self.clock.call_at(
            due, send_bot, f"calendar event {event['uuid']} bot"
        )


def _credentials(params: dict[str, Any]) -> dict[str, str]:
    return {k: params[k] for k in ("oauth_client_id", "oauth_client_secret", "oauth_refresh_token")}


def _bot_param(params: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """BotParam2/3 (request) -> BotParam (stored on the event)."""
    out = {
        "bot_image": params.get("bot_image"),
        "bot_name": params.get("bot_name"),
        "deduplication_key": params.get("deduplication_key"),
        "enter_message": params.get("enter_message"),
        "extra": params.get("extra") if params.get("extra") is not None else {},
        "noone_joined_timeout": params.get("noone_joined_timeout"),
        "recording_mode": params.get("recording_mode"),
        "silence_timeout": params.get("silence_timeout"),
        **speech_to_text_fields(params.get("speech_to_text")),
        "streaming_audio_frequency": params.get("streaming_audio_frequency"),
        "streaming_input": params.get("streaming_input"),
        "streaming_output": params.get("streaming_output"),
        "transcription_custom_parameters": (
            params.get("transcription_custom_parameters")
            if params.get("transcription_custom_parameters") is not None
            else {}
        ),
        "waiting_room_timeout": params.get("waiting_room_timeout"),
        "webhook_url": params.get("webhook_url") or "",
        **{k: params.get(k) for k in ZOOM_TOKEN_FIELDS},
        "zoom_sdk_id": params.get("zoom_sdk_id"),
        "zoom_sdk_pwd": params.get("zoom_sdk_pwd"),
    }
    if partial and out["bot_name"] is None:
        out.pop("bot_name")
    return out


def _request_view(param: dict[str, Any]) -> dict[str, Any]:
    """A stored BotParam back in request shape, so a PATCH can merge over it."""
    view = {k: v for k, v in param.items() if not k.startswith("speech_to_text")}
    if param.get("speech_to_text_provider"):
        view["speech_to_text"] = {
            "provider": param["speech_to_text_provider"],
            "api_key": param.get("speech_to_text_api_key"),
        }
    return view


def _join_request(event: dict[str, Any], param: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "meeting_url": event["meeting_url"],
        "bot_name": param["bot_name"],
        "reserved": True,
        "start_time": parse_iso(event["start_time"]),
        "bot_image": param.get("bot_image"),
        "entry_message": param.get("enter_message"),
        "deduplication_key": param.get("deduplication_key") or event["uuid"],
        "extra": param.get("extra"),
        "recording_mode": param.get("recording_mode"),
        "webhook_url": param.get("webhook_url") or None,
        "transcription_custom_parameters": param.get("transcription_custom_parameters"),
        "zoom_sdk_id": param.get("zoom_sdk_id"),
        "zoom_sdk_pwd": param.get("zoom_sdk_pwd"),
        **{k: param.get(k) for k in ZOOM_TOKEN_FIELDS},
        "_event_uuid": event["uuid"],
    }
    if param.get("speech_to_text_provider"):
        request["speech_to_text"] = {
            "provider": param["speech_to_text_provider"],
            "api_key": param.get("speech_to_text_api_key"),
        }
    if param.get("streaming_input") or param.get("streaming_output"):  # the bot streams live
        request["streaming"] = {
            "input": param.get("streaming_input"),
            "output": param.get("streaming_output"),
            "audio_frequency": param.get("streaming_audio_frequency"),
        }
    leave = {
        k: param[k]
        for k in ("waiting_room_timeout", "noone_joined_timeout", "silence_timeout")
        if param.get(k)
    }
    if leave:
        request["automatic_leave"] = leave
    return request
