"""v2 operations by operationId (paths come from openapi-v2.json), and v2 control routes
(paths from control.json).

Only operations the mock really implements are here; `register` serves exactly these.
"""

from __future__ import annotations

from ..web.calls import Handler
from . import responses as r

_UNGUARDED = {
    "createBot": r.create_bot,
    "batchCreateBots": r.batch_create_bots,
    "listBots": r.list_bots,
    "getBotDetails": r.get_bot_details,
    "getBotStatus": r.get_bot_status,
    "getBotScreenshots": r.get_bot_screenshots,
    "leaveBot": r.leave_bot,
    "sendChatMessage": r.send_chat_message,
    "pauseBotRecording": r.pause_recording,
    "resumeBotRecording": r.resume_recording,
    "deleteBotData": r.delete_bot_data,
    "resendFinalWebhook": r.resend_final_webhook,
    "retryCallback": r.retry_callback,
    "updateBotConfig": r.update_bot_config,
    "createScheduledBot": r.create_scheduled_bot,
    "batchCreateScheduledBots": r.batch_create_scheduled_bots,
    "listScheduledBots": r.list_scheduled_bots,
    "getScheduledBotDetails": r.get_scheduled_bot,
    "updateScheduledBot": r.update_scheduled_bot,
    "deleteScheduledBot": r.delete_scheduled_bot,
    "listRawCalendars": r.list_raw_calendars,
    "createCalendarConnection": r.create_calendar,
    "listCalendars": r.list_calendars,
    "getCalendarDetails": r.get_calendar,
    "deleteCalendarConnection": r.delete_calendar,
    "updateCalendarConnection": r.update_calendar,
    "syncCalendar": r.sync_calendar,
    "resubscribeCalendar": r.resubscribe_calendar,
    "listEvents": r.list_events,
    "listEventSeries": r.list_event_series,
    "getEventDetails": r.get_event,
    "createCalendarBot": r.create_calendar_bot,
    "updateCalendarBot": r.update_calendar_bot,
    "deleteCalendarBot": r.delete_calendar_bot,
    "createZoomCredential": r.create_zoom_credential,
    "listZoomCredentials": r.list_zoom_credentials,
    "getZoomCredential": r.get_zoom_credential,
    "updateZoomCredential": r.update_zoom_credential,
    "deleteZoomCredential": r.delete_zoom_credential,
}
HANDLERS = {op: r.guarded(handler) for op, handler in _UNGUARDED.items()}


#: the v2 routes of the control API (control.json), by operationId
CONTROL_HANDLERS: dict[str, Handler] = {
    "getV2WebhookSecret": r.webhook_secret,
    "postParticipantChat": r.participant_chat,
    "cancelV2CalendarEvent": r.cancel_calendar_event,
    "getV2Limits": r.get_account_limits,
    "setV2Limits": r.set_account_limits,
}
