"""Thin handlers for the v2 operations: one engine call, one `{success, data}` answer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..app import MOCK, Call, Reply, json_response
from ..control.responses import _body
from ..errors import invalid


def _ok(data: Any, status: int = 200) -> Reply:
    return status, {"success": True, "data": data}


def _done(message: str) -> Reply:
    return _ok({"message": message})


def create_bot(call: Call) -> Reply:
    bot = call.mock.v2.create(call.account, call.body)
    return _ok({"bot_id": bot.uuid}, 201)


def batch_create_bots(call: Call) -> Reply:
    return 201, call.mock.v2.batch(call.account, call.body)


def list_bots(call: Call) -> Reply:
    return 200, call.mock.v2.list(call.account, call.params)


def get_bot_details(call: Call) -> Reply:
    v2 = call.mock.v2
    return _ok(v2.details(v2.get(call.account, call.params["bot_id"])))


def get_bot_status(call: Call) -> Reply:
    v2 = call.mock.v2
    return _ok(v2.status_view(v2.get(call.account, call.params["bot_id"])))


def get_bot_screenshots(call: Call) -> Reply:
    return 200, call.mock.v2.screenshots(call.account, call.params["bot_id"], call.params)


def leave_bot(call: Call) -> Reply:
    call.mock.v2.leave(call.account, call.params["bot_id"])
    return _done("The bot is leaving the meeting")


def send_chat_message(call: Call) -> Reply:
    call.mock.v2.send_chat(call.account, call.params["bot_id"], call.body["message"])
    return _done("Chat message sent")


def pause_recording(call: Call) -> Reply:
    call.mock.v2.pause(call.account, call.params["bot_id"], resume=False)
    return _done("Recording paused")


def resume_recording(call: Call) -> Reply:
    call.mock.v2.pause(call.account, call.params["bot_id"], resume=True)
    return _done("Recording resumed")


def delete_bot_data(call: Call) -> Reply:
    return _done(call.mock.v2.delete_data(call.account, call.params["bot_id"]))


def resend_final_webhook(call: Call) -> Reply:
    call.mock.v2.resend(call.account, call.params["bot_id"])
    return _done("Final webhook queued for delivery")


def retry_callback(call: Call) -> Reply:
    call.mock.v2.retry_callback(call.account, call.params["bot_id"], call.body)
    return _done("Callback queued for delivery")


def update_bot_config(call: Call) -> Reply:
    call.mock.v2.update_extra(call.account, call.params["bot_id"], call.body["extra"])
    return _done("Bot configuration updated")


# -- control API ----------------------------------------------------------------------------
async def webhook_secret(request: web.Request) -> web.StreamResponse:
    """The `whsec_` secret an account's v2 webhooks are signed with."""
    key = request.query.get("api_key", "")
    if not key:
        raise invalid("query", "api_key", "give the API key whose secret you want")
    return json_response(200, {"api_key": key, "secret": request.app[MOCK].v2.secret(key)})


async def participant_chat(request: web.Request) -> web.StreamResponse:
    """A participant writes in the meeting's chat: the bot reports `bot.chat_message`."""
    body = await _body(request)
    sender, text = body.get("sender_name", "Participant"), body.get("text")
    if not isinstance(text, str) or not text:
        raise invalid("body", "text", "a non-empty string is required")
    if not isinstance(sender, str) or not sender:
        raise invalid("body", "sender_name", "must be a non-empty string")
    request.app[MOCK].v2.chat_from_participant(request.match_info["uuid"], sender, text)
    return json_response(200, {"ok": True})
