"""The calendar provider behind the credentials: a simulated Google or Microsoft account.

Each set of credentials (platform + refresh token) opens one account: a few calendars,
seeded with plausible meetings from the token (the same token always shows the same
account). After that the account changes only when the user says so through the
control API: events added, moved, changed or cancelled, recurring series with real
occurrences and exceptions, tokens revoked or expired, syncs made to fail. The mock's
calendars mirror it; a sync is the difference between the two, so nothing changed on
the provider means nothing to announce.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from ..bots.transcript import seeded_faker
from ..clock import iso, parse_iso
from ..errors import MockError, invalid, not_found

DAY_MS = 24 * 60 * 60 * 1000
WEEK_MS = 7 * DAY_MS
GOOGLE, MICROSOFT = "Google", "Microsoft"
VALID, REVOKED, EXPIRED = "valid", "revoked", "expired"
TOKEN_STATES = (VALID, REVOKED, EXPIRED)
#: what the provider answers a refresh with a dead token, per platform and state
TOKEN_ERRORS = {
    (
        GOOGLE,
        REVOKED,
    ): "invalid_grant: Token has been expired or revoked. (access revoked by the user)",
    (GOOGLE, EXPIRED): "invalid_grant: Token has been expired or revoked.",
    (MICROSOFT, REVOKED): "invalid_grant: AADSTS50173: The provided grant has been revoked.",
    (MICROSOFT, EXPIRED): "invalid_grant: AADSTS700082: The refresh token has expired.",
}
DEFAULT_FAILURE = "the provider answered 503 (backendError): try again later"
MEET_LETTERS = "abcdefghijklmnopqrstuvwxyz"
GOOGLE_ID_LETTERS = "0123456789abcdefghijklmnopqrstuv"  # base32hex, as Google event ids


def stable_seed(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def microsoft_id(*parts: str, size: int = 96) -> str:
    """An opaque Graph-style id (`AAMkA…=`), stable for its parts."""
    raw = b""
    counter = 0
    while len(raw) < size:
        raw += hashlib.sha256("\x1f".join((*parts, str(counter))).encode()).digest()
        counter += 1
    return "AAMkA" + base64.urlsafe_b64encode(raw[:size]).decode().rstrip("=")[:-1] + "AAA="


def meet_url(fake: Faker) -> str:
    code = fake.lexify("???-????-???", letters=MEET_LETTERS)
    return f"https://meet.google.com/{code}"


def meeting_link(fake: Faker, rng: random.Random, kind: str) -> str:
    if kind == "zoom":
        return f"https://us02web.zoom.us/j/{rng.randint(10**9, 10**10 - 1)}"
    if kind == "meet":
        return meet_url(fake)
    thread = base64.urlsafe_b64encode(rng.randbytes(18)).decode()
    return f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"


@dataclass
class RawCalendar:
    id: str
    email: str
    is_primary: bool
    name: str


@dataclass
class Item:
    """A one-off event, or a recurring series (`count` > 0) with its exceptions."""

    id: str
    calendar_id: str
    name: str
    start_ms: int
    duration_ms: int
    meeting_url: str
    attendees: list[dict[str, Any]]
    organizer: str
    count: int = 0  # occurrences of a series; 0 for a one-off event
    every_ms: int = WEEK_MS
    cancelled: bool = False
    #: occurrence index -> changed fields, or {"cancelled": True}
    exceptions: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def recurring(self) -> bool:
        return self.count > 0


@dataclass
class Account:
    email: str
    platform: str
    seed: int
    calendars: list[RawCalendar]
    items: dict[str, Item] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # the next syncs that fail
    serial: int = 0

    def view(self, tokens: dict[str, str]) -> dict[str, Any]:
        return {
            "email": self.email,
            "platform": self.platform,
            "tokens": dict(sorted(tokens.items())),
            "failing_syncs": list(self.failures),
            "calendars": [
                {
                    "id": c.id,
                    "name": c.name,
                    "is_primary": c.is_primary,
                    "events": list(self.instances(c.id).values()),
                }
                for c in self.calendars
            ],
        }

    def primary(self) -> RawCalendar:
        return next(c for c in self.calendars if c.is_primary)

    def instance_id(self, item: Item, index: int, start_ms: int) -> str:
        if self.platform == GOOGLE:
            stamp = iso(start_ms).replace("-", "").replace(":", "")[:15] + "Z"
            return f"{item.id}_{stamp}"
        return microsoft_id(item.id, str(index))

    def instances(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """Every live occurrence of the calendar, by provider id, in creation order."""
        found: dict[str, dict[str, Any]] = {}
        for item in self.items.values():
            if item.calendar_id != calendar_id or item.cancelled:
                continue
            for index in range(item.count or 1):
                start = item.start_ms + index * item.every_ms
                ident = self.instance_id(item, index, start) if item.recurring else item.id
                change = item.exceptions.get(index, {})
                if change.get("cancelled"):
                    continue
                start = change.get("start_ms", start)
                found[ident] = {
                    "id": ident,
                    "name": change.get("name", item.name),
                    "start_time": iso(start),
                    "end_time": iso(start + change.get("duration_ms", item.duration_ms)),
                    "meeting_url": change.get("meeting_url", item.meeting_url),
                    "attendees": change.get("attendees", item.attendees),
                    "organizer": item.organizer,
                    "recurring_event_id": item.id if item.recurring else None,
                }
        return found

    def find(self, ident: str) -> tuple[Item, int | None]:
        """An item by its id (a series: all of it), or one occurrence by its own id."""
        if ident in self.items:
            return self.items[ident], None
        for item in self.items.values():
            if item.recurring:
                for index in range(item.count):
                    start = item.start_ms + index * item.every_ms
                    if self.instance_id(item, index, start) == ident:
                        return item, index
        raise not_found("provider event", ident)


def raw_calendars(platform: str, refresh_token: str) -> list[RawCalendar]:
    """The calendars these credentials' account starts with (primary first): stable per
    token, so the v2 surface lists the same ones."""
    seed = stable_seed(platform, refresh_token)
    fake = seeded_faker(seed)
    rng = random.Random(seed)
    email = fake.email(safe=True).replace("example", fake.domain_word())
    if platform == GOOGLE:
        calendars = [RawCalendar(email, email, True, "Calendar")]
    else:
        calendars = [RawCalendar(microsoft_id(email, "calendar"), email, True, "Calendar")]
    for n in range(rng.randint(1, 2)):
        name = f"{fake.word().title()} Team"
        if platform == GOOGLE:
            group = fake.lexify("????????????", letters=MEET_LETTERS)
            ident = f"{group}@group.calendar.google.com"
        else:
            ident = microsoft_id(email, "calendar", str(n))
        calendars.append(RawCalendar(ident, email, False, name))
    return calendars


class Provider:
    """Every simulated account, found by the credentials that open it."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        #: (platform, refresh token) -> (account email, token state)
        self.tokens: dict[tuple[str, str], list[str]] = {}

    # -- state files (--state) ------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "accounts": [dataclasses.asdict(a) for a in self.accounts.values()],
            "tokens": [[p, t, email, state] for (p, t), (email, state) in self.tokens.items()],
        }

    def load(self, data: dict[str, Any] | None) -> None:
        if not data:
            return
        for raw in data["accounts"]:
            items = {}
            for item in raw["items"].values():
                exceptions = {int(k): v for k, v in item["exceptions"].items()}
                items[item["id"]] = Item(**{**item, "exceptions": exceptions})
            account = Account(
                **{
                    **raw,
                    "calendars": [RawCalendar(**c) for c in raw["calendars"]],
                    "items": items,
                }
            )
            self.accounts[account.email] = account
        for platform, token, email, state in data["tokens"]:
            self.tokens[(platform, token)] = [email, state]

    # -- accounts -------------------------------------------------------------------------
    def open(self, platform: str, refresh_token: str, now_ms: int) -> Account:
        """The account behind these credentials, made on first use; refuses a dead token."""
        account = self.account_for(platform, refresh_token, now_ms)
        problem = self.token_problem(platform, refresh_token)
        if problem is not None:
            raise MockError("forbidden", f"{platform} refused the credentials: {problem[1]}")
        return account

    def account_for(self, platform: str, refresh_token: str, now_ms: int) -> Account:
        key = (platform, refresh_token)
        if key in self.tokens:
            return self.accounts[self.tokens[key][0]]
        account = self._generate(platform, refresh_token, now_ms)
        self.accounts[account.email] = account
        self.tokens[key] = [account.email, VALID]
        return account

    def token_problem(self, platform: str, refresh_token: str) -> tuple[str, str] | None:
        """(calendar status, message) when the token no longer works."""
        entry = self.tokens.get((platform, refresh_token))
        if entry is None or entry[1] == VALID:
            return None
        status = "disconnected" if entry[1] == REVOKED else "error"
        return status, TOKEN_ERRORS[(platform, entry[1])]

    def get(self, email: str) -> Account:
        account = self.accounts.get(email)
        if account is None:
            raise not_found("provider account", email)
        return account

    def tokens_of(self, account: Account) -> dict[str, str]:
        return {
            token: state
            for (platform, token), (email, state) in self.tokens.items()
            if email == account.email and platform == account.platform
        }

    def set_token(self, account: Account, refresh_token: str, state: str) -> None:
        """Revoke or expire a token, make it valid again, or grant a new one (valid) to
        the same account, as signing in again does."""
        key = (account.platform, refresh_token)
        entry = self.tokens.get(key)
        if entry is not None and entry[0] != account.email:
            raise MockError("conflict", "this refresh token opens another account")
        if entry is None and state != VALID:
            raise not_found("refresh token of this account", refresh_token)
        self.tokens[key] = [account.email, state]

    def fail_syncs(self, account: Account, count: int, message: str | None) -> None:
        account.failures.extend([message or DEFAULT_FAILURE] * count)

    def take_failure(self, account: Account) -> str | None:
        return account.failures.pop(0) if account.failures else None

    def _generate(self, platform: str, refresh_token: str, now_ms: int) -> Account:
        seed = stable_seed(platform, refresh_token)
        calendars = raw_calendars(platform, refresh_token)
        email = calendars[0].email
        if email in self.accounts:  # two tokens never share an account by chance
            email = f"{len(self.accounts)}.{email}"
            calendars = [RawCalendar(c.id, email, c.is_primary, c.name) for c in calendars]
        account = Account(email=email, platform=platform, seed=seed, calendars=calendars)
        for calendar in calendars:
            self._seed_events(account, calendar, now_ms)
        return account

    def _seed_events(self, account: Account, calendar: RawCalendar, now_ms: int) -> None:
        """Twelve meetings around now, every fourth a weekly series of three."""
        seed = stable_seed(str(account.seed), calendar.id)
        fake = seeded_faker(seed)
        rng = random.Random(seed)
        day0 = now_ms - now_ms % DAY_MS
        for index in range(12):
            day = rng.randint(-3, 10)
            start = (
                day0 + day * DAY_MS + rng.randint(8, 17) * 3_600_000 + rng.choice((0, 30)) * 60_000
            )
            self.generated(account, calendar.id, fake, rng, start, 3 if index % 4 == 0 else 0)

    # -- events ---------------------------------------------------------------------------
    def new_id(self, account: Account) -> str:
        account.serial += 1
        if account.platform == GOOGLE:
            rng = random.Random(stable_seed(str(account.seed), "event", str(account.serial)))
            return "".join(rng.choice(GOOGLE_ID_LETTERS) for _ in range(26))
        return microsoft_id(str(account.seed), "event", str(account.serial))

    def generated(
        self,
        account: Account,
        calendar_id: str,
        fake: Faker,
        rng: random.Random,
        start: int,
        count: int = 0,
    ) -> Item:
        """A plausible meeting (a series of `count` weekly occurrences when count > 0)."""
        link = meeting_link(fake, rng, rng.choice(("zoom", "meet", "teams")))
        organizer = rng.random() < 0.5
        attendees = [{"email": account.email, "name": None}]
        for _ in range(rng.randint(1, 4)):
            attendees.append({"email": fake.company_email(), "name": fake.name()})
        item = Item(
            id=self.new_id(account),
            calendar_id=calendar_id,
            name=fake.catch_phrase(),
            start_ms=start,
            duration_ms=rng.choice((30, 45, 60)) * 60_000,
            meeting_url=link,
            attendees=attendees,
            organizer=account.email if organizer else attendees[-1]["email"],
            count=count,
        )
        account.items[item.id] = item
        return item

    def add(self, account: Account, body: dict[str, Any]) -> Item:
        """An event the user puts on the provider calendar (checked first)."""
        calendar_id = body.get("calendar_id") or account.primary().id
        if calendar_id not in {c.id for c in account.calendars}:
            raise invalid("body", "calendar_id", f"no calendar {calendar_id!r} in this account")
        fields = _event_fields(body, required=True)
        recurrence = body.get("recurrence")
        count, every = 0, WEEK_MS
        if recurrence is not None:
            if not isinstance(recurrence, dict) or set(recurrence) - {"count", "interval_days"}:
                raise invalid("body", "recurrence", "must be {count, interval_days}")
            count = _int(recurrence.get("count"), "recurrence.count", 1, 500)
            every = _int(recurrence.get("interval_days", 7), "recurrence.interval_days", 1, 365)
            every *= DAY_MS
        fake = seeded_faker(stable_seed(str(account.seed), "add", str(account.serial)))
        rng = random.Random(stable_seed(str(account.seed), "add", str(account.serial)))
        kind = body.get("meeting_platform") or ("meet" if account.platform == GOOGLE else "teams")
        if kind not in ("zoom", "meet", "teams"):
            raise invalid("body", "meeting_platform", "must be zoom, meet or teams")
        organizer = body.get("is_organizer", True)
        if not isinstance(organizer, bool):
            raise invalid("body", "is_organizer", "must be a boolean")
        attendees = fields.get("attendees") or []
        item = Item(
            id=self.new_id(account),
            calendar_id=calendar_id,
            name=fields["name"],
            start_ms=fields["start_ms"],
            duration_ms=fields["duration_ms"],
            meeting_url=fields.get("meeting_url") or meeting_link(fake, rng, kind),
            attendees=[{"email": account.email, "name": None}, *attendees],
            organizer=account.email if organizer or not attendees else attendees[0]["email"],
            count=count,
            every_ms=every,
        )
        account.items[item.id] = item
        return item

    def change(self, account: Account, ident: str, body: dict[str, Any]) -> None:
        """Change an event, a whole series, or one occurrence (an exception)."""
        item, index = account.find(ident)
        if item.cancelled or (
            index is not None and item.exceptions.get(index, {}).get("cancelled")
        ):
            raise MockError("conflict", f"provider event {ident} is cancelled")
        base = item.start_ms + (index or 0) * item.every_ms
        base = item.exceptions.get(index or 0, {}).get("start_ms", base) if index else base
        fields = _event_fields(body, required=False, base_start=base)
        if not fields:
            raise invalid("body", "", "name at least one of " + ", ".join(EVENT_FIELDS))
        if index is None:
            for key, value in fields.items():
                setattr(item, key, value)
        else:
            item.exceptions[index] = {**item.exceptions.get(index, {}), **fields}

    def cancel(self, account: Account, ident: str) -> None:
        item, index = account.find(ident)
        if index is None:
            item.cancelled = True
        else:
            item.exceptions[index] = {"cancelled": True}

    def shift(self, account: Account, ident: str, delta_ms: int) -> None:
        """Move one occurrence or event by `delta_ms` (the control sync's `move`)."""
        item, index = account.find(ident)
        if index is None:
            item.start_ms += delta_ms
            return
        change = item.exceptions.setdefault(index, {})
        change["start_ms"] = (
            change.get("start_ms", item.start_ms + index * item.every_ms) + delta_ms
        )


EVENT_FIELDS = ("name", "start_time", "end_time", "duration_minutes", "meeting_url", "attendees")
ADD_FIELDS = {*EVENT_FIELDS, "calendar_id", "recurrence", "meeting_platform", "is_organizer"}


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid("body", name, f"must be an integer from {low} to {high}")
    return value


def _event_fields(
    body: dict[str, Any], required: bool, base_start: int | None = None
) -> dict[str, Any]:
    """The control API's event body -> Item fields, every value checked."""
    allowed = ADD_FIELDS if required else set(EVENT_FIELDS)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid("body", unknown[0], "unknown field; expected " + ", ".join(sorted(allowed)))
    out: dict[str, Any] = {}
    if "name" in body or required:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("body", "name", "must be a non-empty string")
        out["name"] = name
    if "start_time" in body or required:
        out["start_ms"] = _moment(body.get("start_time"), "start_time")
    if "end_time" in body and "duration_minutes" in body:
        raise invalid("body", "end_time", "give end_time or duration_minutes, not both")
    if "end_time" in body:
        start = out.get("start_ms", base_start)
        end = _moment(body["end_time"], "end_time")
        if start is None:
            raise invalid("body", "end_time", "needs start_time (or use duration_minutes)")
        if end <= start:
            raise invalid("body", "end_time", "must be after start_time")
        out["duration_ms"] = end - start
    elif "duration_minutes" in body or required:
        out["duration_ms"] = _int(body.get("duration_minutes", 30), "duration_minutes", 1, 1440)
        out["duration_ms"] *= 60_000
    if "meeting_url" in body:
        url = body["meeting_url"]
        if not isinstance(url, str):
            raise invalid("body", "meeting_url", "must be a string (empty: no link)")
        out["meeting_url"] = url
    if "attendees" in body:
        people = body["attendees"]
        if not isinstance(people, list) or not all(
            isinstance(p, dict)
            and isinstance(p.get("email"), str)
            and "@" in p["email"]
            and set(p) <= {"email", "name"}
            and isinstance(p.get("name"), str | None)
            for p in people
        ):
            raise invalid("body", "attendees", "must be a list of {email, name}")
        out["attendees"] = [{"email": p["email"], "name": p.get("name")} for p in people]
    return out


def _moment(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise invalid("body", name, "must be an ISO-8601 date-time")
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid("body", name, "must be an ISO-8601 date-time") from None
