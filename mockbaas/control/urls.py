"""Routes of the control API, all under /_mockbaas."""

from __future__ import annotations

from aiohttp import web

from ..streaming.control import add_stream_routes
from . import PREFIX, UI_FILES, trigger_routes
from . import clock_routes as clock
from . import fault_routes as faults
from . import responses as r
from . import ui_route as ui


def add_control_routes(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", f"{PREFIX}/health", r.health)
    add("POST", f"{PREFIX}/reset", r.reset)
    add("GET", f"{PREFIX}/clock", r.clock)
    add("POST", f"{PREFIX}/clock/advance", r.advance)
    add("POST", f"{PREFIX}/clock/advance_to", clock.advance_to)
    add("POST", f"{PREFIX}/clock/advance_until", clock.advance_until)
    add("POST", f"{PREFIX}/clock/run_until_idle", clock.run_until_idle)
    add("GET", f"{PREFIX}/bots", r.list_bots)
    add("GET", f"{PREFIX}/bots/{{uuid}}", r.get_bot)
    add("POST", f"{PREFIX}/bots/{{uuid}}/transition", r.push_transition)
    add("GET", f"{PREFIX}/scenarios", r.scenarios)
    add("GET", f"{PREFIX}/webhooks", r.webhooks)
    add("GET", f"{PREFIX}/webhooks/faults", r.get_faults)
    add("PUT", f"{PREFIX}/webhooks/faults", r.set_faults)
    add("POST", f"{PREFIX}/webhooks/trigger", trigger_routes.trigger_event)
    add("GET", f"{PREFIX}/webhooks/{{id}}", r.webhook)
    add("POST", f"{PREFIX}/webhooks/{{id}}/redeliver", r.redeliver)
    add("POST", f"{PREFIX}/calendars/{{uuid}}/sync", r.calendar_sync)
    add("GET", f"{PREFIX}/requests", r.traffic)
    add_stream_routes(app)
    add("GET", f"{PREFIX}/ui/state", ui.state)
    for path in UI_FILES:
        add("GET", path, ui.ui_file)
    add("GET", f"{PREFIX}/faults/api", faults.list_faults)
    add("POST", f"{PREFIX}/faults/api", faults.add_fault)
    add("DELETE", f"{PREFIX}/faults/api", faults.clear_faults)
    add("DELETE", f"{PREFIX}/faults/api/{{id}}", faults.remove_fault)
    from ..calendars.control import add_provider_routes

    add_provider_routes(app)
