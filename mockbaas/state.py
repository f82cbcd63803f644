"""A mock world that survives a restart: `mockbaas serve --state FILE`.

The world is saved as one versioned JSON snapshot, atomically (temp file in the same
folder, fsync, rename), on shutdown and every `state_interval` real seconds; it is loaded
at start-up into a freshly built world. Only plain data is saved: no closures, no timers.
A timer is rebuilt from the model fields that say it is due (a bot's next plan step, its
timeout, its processing, a retranscription, a pending webhook's next attempt, a calendar
event's bot), re-armed in the order the old timers would have run, so the restarted world
continues exactly as the old one would have.

A file that cannot be read whole (not JSON, another kind of file, an unknown format, a
different seed) is refused with a `StateError`: the mock never starts empty over a world
it could not load.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .accounts.models import Account
from .bots.media import Signer
from .bots.models import GUARDS, Bot, Retranscription
from .bots.params import BotParams
from .calendars.models import Calendar
from .calendars.provider import RawCalendar
from .calendars.views import event_of, event_view
from .clock import Timer, iso
from .scenarios import ScenarioBook, Step
from .webhooks import Attempt, Delivery, Kind, State
from .zoom.models import Connection

if TYPE_CHECKING:
    from .config import Settings
    from .core import MockBaaS

log = logging.getLogger("mockbaas.state")

KIND = "mockbaas-state"
#: bump when a saved field changes meaning; a file of another format is refused
FORMAT = 1

#: Bot fields saved as they are (JSON-safe values); the rest are references, timers, or
#: `params` (saved as the request it was read from).
BOT_FIELDS = (
    "uuid",
    "id",
    "seed",
    "created_ms",
    "join_ms",
    "status",
    "history",
    "outcome",
    "ended_ms",
    "error_type",
    "error_message",
    "end_reason",
    "recorded_ms",
    "recording_since",
    "recording_started",
    "speakers",
    "transcript_seed",
    "screenshots",
    "data_deleted",
    "retranscriptions",
    "plan_index",
    "access_count",
    "last_accessed_ms",
    "joined_ms",
    "exited_ms",
)
DELIVERY_FIELDS = (
    "id",
    "seq",
    "event",
    "subject",
    "account_key",
    "url",
    "created_at",
    "state",
    "tries",
    "next_attempt_at",
    "contract_errors",
    "withhold_key",
    "method",  # a v2 callback may PUT
    "extra_headers",  # v2 signatures and callback secrets, fixed at send time
)


class StateError(Exception):
    """A state file that cannot be loaded or written; the message says why and what to do."""


# -- timers ----------------------------------------------------------------------------------
def _timer(timer: Timer | None) -> dict[str, int] | None:
    """Where a pending timer stood in the old clock's queue: (due, seq) orders re-arming."""
    if timer is None or timer.cancelled:
        return None
    return {"due": timer.due, "seq": timer.seq}


Arm = tuple[int, int, Callable[[], None]]


def _arm(arms: list[Arm], saved: dict[str, int] | None, fn: Callable[[int], None]) -> None:
    if saved is not None:
        due = int(saved["due"])
        arms.append((due, int(saved["seq"]), lambda: fn(due)))


def _undated(fn: Callable[[], None]) -> Callable[[int], None]:
    """A timer that works out its own due time again when re-armed."""
    return lambda _due: fn()


# -- accounts --------------------------------------------------------------------------------
def account_to_dict(account: Account) -> dict[str, Any]:
    return {
        "key": account.key,
        "number": account.number,
        "webhook_url": account.webhook_url,
        "calls": {name: list(times) for name, times in account.calls.items()},
    }


def account_from_dict(data: dict[str, Any]) -> Account:
    return Account(
        key=data["key"],
        number=int(data["number"]),
        webhook_url=data["webhook_url"],
        calls={name: deque(int(t) for t in times) for name, times in data["calls"].items()},
    )


# -- bots ------------------------------------------------------------------------------------
def bot_to_dict(bot: Bot) -> dict[str, Any]:
    data = {name: getattr(bot, name) for name in BOT_FIELDS}
    data["params"] = bot.params.saved()
    data["account"] = bot.account.key
    data["scenario"] = bot.scenario.name
    data["plan"] = [dataclasses.asdict(step) for step in bot.plan]
    data["timers"] = {
        "step": _timer(bot.step_timer),
        "guard": _timer(bot.guard_timer),
        "complete": _timer(bot.complete_timer),
        "silence": _timer(bot.silence_timer),
    }
    data["retranscriptions_due"] = [
        {
            "due": job.due,
            "attempt": job.attempt,
            "speech_to_text": job.speech_to_text,
            "webhook_url": job.webhook_url,
            "timer": _timer(job.timer),
        }
        for job in bot.retranscriptions_due
    ]
    return data


def bot_from_dict(
    data: dict[str, Any], accounts: dict[str, Account], scenarios: ScenarioBook
) -> Bot:
    name = data["scenario"]
    scenario = scenarios.by_name.get(name)
    if scenario is None:
        raise StateError(
            f"bot {data['uuid']} follows scenario {name!r}, which this server has not "
            "loaded: start it with the same --scenarios folders"
        )
    bot = Bot(
        account=accounts[data["account"]],
        scenario=scenario,
        params=BotParams.from_request(data["params"]),
        **{field: data[field] for field in BOT_FIELDS},
    )
    bot.plan = tuple(Step(**step) for step in data["plan"])
    bot.retranscriptions_due = [
        Retranscription(
            int(job["due"]), int(job["attempt"]), job["speech_to_text"], job["webhook_url"]
        )
        for job in data["retranscriptions_due"]
    ]
    return bot


# -- calendars -------------------------------------------------------------------------------
def calendar_to_dict(calendar: Calendar, armed: dict[str, Timer]) -> dict[str, Any]:
    return {
        "uuid": calendar.uuid,
        "account": calendar.account.key,
        "platform": calendar.platform,
        "raw": dataclasses.asdict(calendar.raw),
        "credentials": calendar.credentials,
        "seed": calendar.seed,
        "events": [event_view(e) for e in calendar.events.values()],
        "syncs": calendar.syncs,
        "by_provider": calendar.by_provider,
        "status": calendar.status,
        "error_message": calendar.error_message,
        "bot_timers": {
            uuid: _timer(armed.get(uuid)) for uuid in calendar.events if _timer(armed.get(uuid))
        },
    }


def calendar_from_dict(data: dict[str, Any], accounts: dict[str, Account]) -> Calendar:
    return Calendar(
        uuid=data["uuid"],
        account=accounts[data["account"]],
        platform=data["platform"],
        raw=RawCalendar(**data["raw"]),
        credentials=dict(data["credentials"]),
        seed=int(data["seed"]),
        events={event["uuid"]: event_of(event) for event in data["events"]},
        syncs=int(data["syncs"]),
        by_provider=dict(data.get("by_provider", {})),
        status=data.get("status", "active"),
        error_message=data.get("error_message"),
    )


# -- zoom connections ------------------------------------------------------------------------
def connection_to_dict(connection: Connection) -> dict[str, Any]:
    data = dataclasses.asdict(connection)
    data["account"] = connection.account.key
    return data


def connection_from_dict(data: dict[str, Any], accounts: dict[str, Account]) -> Connection:
    return Connection(**{**data, "account": accounts[data["account"]]})


# -- webhook deliveries ----------------------------------------------------------------------
def delivery_to_dict(delivery: Delivery) -> dict[str, Any]:
    data = {name: getattr(delivery, name) for name in DELIVERY_FIELDS}
    data["body"] = delivery.body.decode()  # compact JSON text: the exact bytes, as UTF-8
    data["attempts"] = [dataclasses.asdict(a) for a in delivery.attempts]
    data["timer"] = _timer(delivery.timer)
    return data


def delivery_from_dict(data: dict[str, Any]) -> Delivery:
    fields = {name: data[name] for name in DELIVERY_FIELDS if name in data}
    body = data["body"].encode()
    fields["state"] = State(fields["state"])
    delivery = Delivery(source=body, **fields)
    delivery.attempts = [Attempt(**{**a, "kind": Kind(a["kind"])}) for a in data["attempts"]]
    return delivery


# -- the whole world -------------------------------------------------------------------------
def dump(mock: MockBaaS) -> dict[str, Any]:
    """The world as plain data. Call between two timers (holding the clock's lock)."""
    clock = mock.clock
    queues, held = mock.webhooks.queued()
    armed = mock.calendars.armed()
    bots = [bot_to_dict(b) for b in mock.bots.bots.values()]
    calendars = [calendar_to_dict(c, armed) for c in mock.calendars.calendars.values()]
    journal = [delivery_to_dict(d) for d in mock.webhooks.journal]
    data = {
        "kind": KIND,
        "format": FORMAT,
        "mockbaas": __version__,
        "seed": mock.settings.seed,
        "epoch": mock.epoch,
        "saved_at": iso(clock.now()),
        "clock": {"now_ms": clock.now(), "start_ms": clock.start_ms},
        "ids": mock.ids.position(),
        "webhook_ids": mock.webhooks.ids.position(),
        "accounts": [account_to_dict(a) for a in mock.accounts.accounts.values()],
        "bots": bots,
        "calendars": calendars,
        "calendar_provider": mock.calendars.provider.dump(),  # what the user changed there
        "zoom": {
            "connections": [connection_to_dict(c) for c in mock.zoom.connections.values()],
            "used_codes": sorted(list(code) for code in mock.zoom._used_codes),
        },
        "webhooks": {
            "journal": journal,
            "queues": {s: [d.id for d in q] for s, q in queues.items()},
            "held": {s: d.id for s, d in held.items()},
        },
        "traffic": mock.traffic.position(),
        "v2": mock.v2.dump(),  # v2's own bot state, scheduled bots, calendars, credentials
        # a drawn media key (no --media-secret) is kept, so links issued before a restart
        # still open after it; the file is the owner's only, like the API keys it holds
        "media_key": mock.media_key.hex() if mock.settings.media_secret is None else None,
    }
    saved = _count_timers(data) + mock.streams.pending_timers()  # streams are not saved
    if saved != clock.pending:  # a timer kind this module does not know would be lost
        log.warning("state: %d pending timers, %d of them saved", clock.pending, saved)
    return data


def _count_timers(data: dict[str, Any]) -> int:
    count = 0
    for bot in data["bots"]:
        count += sum(1 for t in bot["timers"].values() if t is not None)
        count += sum(1 for job in bot["retranscriptions_due"] if job["timer"] is not None)
    count += sum(len(c["bot_timers"]) for c in data["calendars"])
    count += sum(1 for d in data["webhooks"]["journal"] if d["timer"] is not None)
    count += sum(1 for b in data.get("v2", {}).get("scheduled", []) if b.get("timer"))
    return count


def check(data: Any, settings: Settings, source: str) -> int:
    """Refuse what cannot be loaded whole; the epoch the world continues in."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise StateError(f"{source} is not a mockbaas state file")
    if data.get("format") != FORMAT:
        raise StateError(
            f"{source} has state format {data.get('format')!r}; mockbaas {__version__} reads "
            f"format {FORMAT} only (start with another --state file, or the mockbaas that "
            "wrote it)"
        )
    if data.get("seed") != settings.seed:
        raise StateError(
            f"{source} was saved by a server with --seed {data.get('seed')!r}; this one has "
            f"--seed {settings.seed}: start with --seed {data.get('seed')!r}, or use another "
            "--state file"
        )
    epoch = data.get("epoch")
    if not isinstance(epoch, int):
        raise StateError(f"{source} is damaged: no id epoch")
    if settings.epoch is not None and settings.epoch != epoch:
        raise StateError(
            f"{source} continues id epoch {epoch}; this server was asked for epoch "
            f"{settings.epoch} (--epoch/--deterministic): drop that flag to continue the file"
        )
    return epoch


def load(mock: MockBaaS, data: dict[str, Any], source: str) -> None:
    """Fill a freshly built world (nothing happened in it yet) from `dump`'s output."""
    try:
        _load(mock, data)
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise StateError(
            f"{source} is damaged and was not loaded ({type(exc).__name__}: {exc}); "
            "move it away to start an empty world"
        ) from None


def _load(mock: MockBaaS, data: dict[str, Any]) -> None:
    clock = mock.clock
    clock.resume(int(data["clock"]["now_ms"]), int(data["clock"]["start_ms"]))
    mock.ids.restore(data["ids"])
    mock.webhooks.ids.restore(data["webhook_ids"])
    accounts = mock.accounts.accounts
    for item in data["accounts"]:
        account = account_from_dict(item)
        accounts[account.key] = account

    arms: list[Arm] = []
    backend = mock.bots
    for item in data["bots"]:
        bot = bot_from_dict(item, accounts, mock.scenarios)
        backend.add(bot)
        timers = item["timers"]
        _arm(arms, timers["step"], partial(backend.arm_step, bot))
        if timers["guard"] is not None and bot.status not in GUARDS:
            raise ValueError(f"bot {bot.uuid} has a timeout in state {bot.status}")
        _arm(arms, timers["guard"], partial(backend.arm_guard, bot))
        _arm(arms, timers["complete"], partial(backend.arm_complete, bot))
        # the silence timeout is recomputed from the recording, as it was when armed
        _arm(arms, timers.get("silence"), _undated(partial(backend.rearm_silence, bot)))
        for job, saved in zip(bot.retranscriptions_due, item["retranscriptions_due"], strict=True):
            _arm(arms, saved["timer"], _undated(partial(backend.arm_retranscription, bot, job)))

    mock.calendars.provider.load(data.get("calendar_provider"))
    for item in data["calendars"]:
        calendar = calendar_from_dict(item, accounts)
        mock.calendars.add(calendar)
        for event_uuid, saved in item["bot_timers"].items():
            _arm(arms, saved, _undated(partial(mock.calendars.rearm, calendar, event_uuid)))

    zoom = data["zoom"]
    for item in zoom["connections"]:
        connection = connection_from_dict(item, accounts)
        mock.zoom.connections[connection.uuid] = connection
    mock.zoom._used_codes = {(str(a), str(b)) for a, b in zoom["used_codes"]}

    hooks = data["webhooks"]
    journal = [delivery_from_dict(item) for item in hooks["journal"]]
    by_id = {d.id: d for d in journal}
    queues = {s: [by_id[i] for i in ids] for s, ids in hooks["queues"].items()}
    held = {s: by_id[i] for s, i in hooks["held"].items()}
    mock.webhooks.adopt(journal, queues, held)
    now = clock.now()
    for delivery, item in zip(journal, hooks["journal"], strict=True):
        saved = item["timer"]
        if saved is None and delivery.state is State.PENDING:
            queue = queues.get(delivery.subject)
            if queue and queue[0] is delivery:  # its attempt was in flight: make it again
                saved = {"due": now, "seq": -1}
        _arm(arms, saved, partial(mock.webhooks.rearm, delivery))

    if "v2" in data:
        # scheduled bots' join timers take their place among the others
        mock.v2.load(data["v2"], accounts, lambda saved, fn: _arm(arms, saved, fn))
    mock.traffic.restore(data["traffic"])
    if data.get("media_key") and mock.settings.media_secret is None:
        mock.media_key = bytes.fromhex(data["media_key"])
        mock.bots.signer = Signer(mock.media_key)
    # the old queue's order (due, then arming order) is the new one's: same world, same future
    for _, _, arm in sorted(arms, key=lambda a: (a[0], a[1])):
        arm()


# -- the file --------------------------------------------------------------------------------
def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def read(path: Path) -> dict[str, Any] | None:
    """The saved world, or None when there is no file yet (a first start)."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise StateError(f"cannot save state to {path}: no folder {path.parent}") from None
        return None
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror or exc}") from None
    try:
        world: dict[str, Any] | None = json.loads(blob)
        return world
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateError(
            f"{path} is not a readable state file ({exc}); refusing to start over it: "
            "move it away to start an empty world"
        ) from None


def write(path: Path, blob: bytes) -> None:
    """Atomically: a crash leaves either the old file or the new one, never half of one."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    try:  # the rename itself survives a power loss once the folder is synced
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)
