"""The whole mock world behind one server: clock, ids, accounts, bots, calendars,
webhooks. HTTP-free, so it can be embedded, reset, and reasoned about on its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from . import state
from .accounts.models import AccountBackend
from .api_faults import ApiFaults
from .bots.media import Signer, media_key
from .bots.models import BotBackend
from .calendars.models import CalendarBackend
from .clock import Clock
from .config import Settings
from .contract import Contract, v2_path
from .ids import Ids, fresh_epoch
from .scenarios import ScenarioBook
from .streaming.session import StreamHub
from .targets import TargetPolicy
from .traffic import Traffic
from .v2.models import V2Bots
from .webhooks import Delivery, Journal, WebhookDispatcher
from .zoom.models import ZoomConnections

log = logging.getLogger("mockbaas")

#: Deliveries draw ids from their own stream, so bot ids do not depend on webhooks.
WEBHOOK_ID_STREAM = 0x5EB


class MockBaaS:
    def __init__(
        self,
        settings: Settings | None = None,
        contract: Contract | None = None,
        scenarios: ScenarioBook | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.contract = contract or Contract.load()
        self.contract_v2 = Contract.load(v2_path())
        #: v1 and v2 operationIds (disjoint): what traffic filters and fault rules may name
        self.operation_ids = frozenset(self.contract.operations) | frozenset(
            self.contract_v2.operations
        )
        self.scenarios = scenarios or ScenarioBook.load(self.settings.scenario_dirs)
        # kept across resets: links stay unforgeable and a reset changes no policy
        self.media_key = media_key(self.settings.media_secret)
        self.targets = TargetPolicy.build(
            self.settings.webhook_allow, [self.settings.webhook_url, self.settings.public_url]
        )
        #: called after every reset with the number of bots it discarded (`mockbaas serve`
        #: reclaims a large discarded world at once: see cli/heap.py)
        self.reset_listeners: list[Callable[[int], None]] = []
        self._saver: asyncio.Task[None] | None = None
        self._stop_saving: asyncio.Event | None = None
        saved = None
        path = self.settings.state_file
        if path is not None:
            saved = state.read(path)  # StateError: unreadable, never silently empty
        if saved is not None:
            self.epoch = state.check(saved, self.settings, str(path))
        else:
            self.epoch = self.settings.epoch if self.settings.epoch is not None else fresh_epoch()
        self._build()
        if saved is not None:
            state.load(self, saved, str(path))
            log.info(
                "loaded %s: %d bots, %d webhook deliveries (%d pending), clock at %s",
                path,
                len(self.bots.bots),
                len(self.webhooks.journal),
                len(self.webhooks.pending()),
                self.clock.now_iso(),
            )

    def _build(self) -> None:
        s = self.settings
        self._shut_down = False
        self.clock = Clock(s.clock, s.start_time, s.speed)
        self.ids = Ids(s.seed, self.epoch)
        self.traffic = Traffic()
        self.api_faults = ApiFaults(s.seed)
        self.accounts = AccountBackend(s.api_keys)
        self.webhooks = WebhookDispatcher(
            self.clock,
            Ids(s.seed ^ WEBHOOK_ID_STREAM, self.epoch),
            self.contract,
            default_url=s.webhook_url,
            schedule=s.webhook_schedule,
            timeout=s.webhook_timeout,
            faults=s.faults.copy(),  # runtime changes must not outlive a reset
            strict=s.strict,
            journal=Journal(s.journal_limit),
            target_check=self.targets.refusal,  # checked again right before each POST
        )
        # v2 bots' events pass through the v2 layer, which re-shapes and signs them
        self.bots = BotBackend(
            self.clock,
            self.ids,
            self.scenarios,
            self.webhooks,  # until the v2 layer below exists
            s.base_url(),
            Signer(self.media_key),
            link_ttl_ms=int(round(s.link_ttl * 1000)),
        )
        self.streams = StreamHub(self.clock, target_check=self.targets.refusal)
        self.bots.listeners.append(self.streams.on_status)
        self.v2 = V2Bots(self.clock, self.bots, self.webhooks, self.contract_v2, s.seed)
        self.bots.outbox = self.v2
        self.calendars = CalendarBackend(self.clock, self.ids, self.webhooks, self.bots)
        self.zoom = ZoomConnections(self.clock, self.ids)

    def set_public_url(self, url: str) -> None:
        self.bots.public_url = url.rstrip("/")

    def start(self) -> None:
        self.clock.start()
        if self.settings.state_file is not None and self._saver is None:
            self._stop_saving = asyncio.Event()
            self._saver = asyncio.get_running_loop().create_task(self._autosave())

    async def save(self) -> None:
        """Write the world to the state file, taken between two timers."""
        path = self.settings.state_file
        if path is None:
            return
        async with self.clock.lock:
            blob = state.encode(state.dump(self))
        await asyncio.to_thread(state.write, path, blob)

    async def _autosave(self) -> None:
        """Every `state_interval` real seconds; the last save is shutdown's own."""
        assert self._stop_saving is not None
        while True:
            try:
                await asyncio.wait_for(self._stop_saving.wait(), self.settings.state_interval)
                return
            except TimeoutError:
                pass
            try:
                await self.save()
            except Exception:  # a full disk must not stop the mock; the log says it
                log.exception("could not save state to %s", self.settings.state_file)

    async def advance(self, seconds: float, wait: float | None = None) -> dict[str, object]:
        """Move virtual time, then wait up to `wait` real seconds (default: the setting)
        for the webhook attempts that fell due, so a test sees them in the journal, and
        for the live streams to send the audio the window covered.
        Returns how many timers ran and whether every attempt came back in time."""
        fired = await self.clock.advance(seconds)
        bound = self.settings.advance_wait if wait is None else wait
        if bound > 0:
            settled, streamed = await asyncio.gather(
                self.webhooks.settle(bound), self.streams.settle(bound)
            )
        else:
            settled, streamed = not self.webhooks.in_flight, self.streams.settled()
        return {
            "fired": fired,
            "webhooks_settled": settled,
            "webhooks_in_flight": self.webhooks.in_flight,
            "streams_settled": streamed,
        }

    async def reset(self) -> None:
        """Back to the state right after start-up: same seed, same epoch, configured
        faults, nothing else. Pending webhooks are dropped (logged): a reset is explicit."""
        public_url = self.bots.public_url
        async with self.clock.lock:  # let a running timer finish its step
            await self.clock.stop()
            self.clock.clear()
        dropped = self.webhooks.pending()
        if dropped:
            log.info("reset dropped %d pending webhook deliveries", len(dropped))
        await self.webhooks.close()
        await self.streams.close()
        discarded = len(self.bots.bots)
        self._build()
        self.set_public_url(public_url)
        self.clock.start()
        for listener in self.reset_listeners:
            listener(discarded)

    async def shutdown(self) -> list[Delivery]:
        """Stop time, then give every pending webhook its last chance, within the drain
        timeout; what is still not delivered is journaled and logged (see
        `WebhookDispatcher.drain`). With a state file the world is saved instead, pending
        webhooks included: they go on after the restart, from where their retries stood.
        Safe to call twice: the second call finds nothing."""
        if self._shut_down:
            return []
        self._shut_down = True
        if self._saver is not None and self._stop_saving is not None:
            self._stop_saving.set()
            await self._saver  # a save under way finishes first: the last write wins
            self._saver = None
        async with self.clock.lock:  # let a running timer finish its step
            await self.clock.stop()
        if self.settings.state_file is not None:
            await self.webhooks.pause()  # attempts in flight are made again after restart
            await self.save()
            log.info(
                "saved state to %s (%d pending webhook deliveries kept for the restart)",
                self.settings.state_file,
                len(self.webhooks.pending()),
            )
            await self.webhooks.close()
            await self.streams.close()  # live streams are not saved: closed with 1001
            return []
        lost = await self.webhooks.drain(self.settings.drain_timeout)
        await self.webhooks.close()
        await self.streams.close()
        return lost
