"""v2 operations by operationId (paths come from openapi-v2.json), and v2 control routes.

Only operations the mock really implements are here; `register` serves exactly these.
"""

from __future__ import annotations

from aiohttp import web

from ..control import PREFIX as CONTROL_PREFIX
from . import responses as r

HANDLERS = {
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
}


def add_v2_control_routes(app: web.Application) -> None:
    app.router.add_get(f"{CONTROL_PREFIX}/v2/webhook-secret", r.webhook_secret)
    app.router.add_post(f"{CONTROL_PREFIX}/v2/bots/{{uuid}}/chat", r.participant_chat)
