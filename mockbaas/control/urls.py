"""The control API's handlers by operationId: `contract/control.json` gives the paths and
checks every call before its handler runs, as openapi.json does for the API."""

from __future__ import annotations

from ..calendars.control import HANDLERS as provider_handlers
from ..streaming.control import HANDLERS as stream_handlers
from ..v2.urls import CONTROL_HANDLERS as v2_handlers
from ..web.calls import Handler
from . import clock_routes as clock
from . import fault_routes as faults
from . import responses as r
from . import trigger_routes
from . import ui_route as ui

HANDLERS: dict[str, Handler] = {
    "getControlDocument": r.control_document,
    "health": r.health,
    "reset": r.reset,
    "getClock": r.clock,
    "advanceClock": r.advance,
    "advanceClockTo": clock.advance_to,
    "advanceClockUntil": clock.advance_until,
    "runUntilIdle": clock.run_until_idle,
    "listControlBots": r.list_bots,
    "getControlBot": r.get_bot,
    "pushTransition": r.push_transition,
    "listScenarios": r.scenarios,
    "listDeliveries": r.webhooks,
    "getWebhookFaults": r.get_faults,
    "setWebhookFaults": r.set_faults,
    "triggerEvent": trigger_routes.trigger_event,
    "getDelivery": r.webhook,
    "redeliver": r.redeliver,
    "syncCalendar": r.calendar_sync,
    "listRequests": r.traffic,
    "getDashboardPage": ui.ui_file,
    "getDashboardScript": ui.ui_file,
    "getDashboardStyle": ui.ui_file,
    "getDashboardIcon": ui.ui_file,
    "getDashboardState": ui.state,
    "listApiFaults": faults.list_faults,
    "addApiFault": faults.add_fault,
    "clearApiFaults": faults.clear_faults,
    "removeApiFault": faults.remove_fault,
    **stream_handlers,
    **provider_handlers,
    **v2_handlers,
}
