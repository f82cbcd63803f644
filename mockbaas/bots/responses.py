"""Thin handlers for the bot operations of the contract."""

from __future__ import annotations

from aiohttp import web

from ..errors import MockError, invalid
from ..web.calls import MOCK, Call, Reply
from . import files, media
from .listing import BotQuery
from .params import BotParams


def join(call: Call) -> Reply:
    bot = call.mock.bots.join(call.account, BotParams.from_request(call.body))
    return 200, {"bot_id": bot.uuid}


def leave(call: Call) -> Reply:
    call.mock.bots.leave(call.account, call.params["uuid"])
    return 200, {"ok": True}


def get_meeting_data(call: Call) -> Reply:
    include = call.params.get("include_transcripts", True)
    counted = call.request.method != "HEAD"
    return 200, call.mock.bots.meeting_data(call.account, call.params["bot_id"], include, counted)


def delete_data(call: Call) -> Reply:
    status = call.mock.bots.delete_data(call.account, call.params["uuid"])
    return 200, {"ok": True, "status": status}


def bots_with_metadata(call: Call) -> Reply:
    return 200, call.mock.bots.list_bots(call.account, BotQuery.read(call.params))


def retranscribe_bot(call: Call) -> Reply:
    body = call.body
    speech = body.get("speech_to_text")
    if body.get("provider") is not None:  # the announcement's top-level spelling
        if speech is not None:
            raise invalid("body", "provider", "give speech_to_text or provider, not both")
        speech = {"provider": body["provider"]}
    call.mock.bots.retranscribe(call.account, body["bot_uuid"], speech, body.get("webhook_url"))
    return 202, None


def get_screenshots(call: Call) -> Reply:
    return 200, call.mock.bots.screenshot_list(call.account, call.params["uuid"])


def webhook_documentation(call: Call) -> Reply:
    return 200, call.mock.contract.webhook_documentation()


def bot_webhook_documentation(call: Call) -> Reply:
    events = ["bot.status_change", "complete", "failed", "transcription_complete"]
    return 200, call.mock.contract.webhook_documentation(events)


def calendar_webhook_documentation(call: Call) -> Reply:
    return 200, call.mock.contract.webhook_documentation(["calendar.sync_events"])


async def serve_media(request: web.Request) -> web.StreamResponse:
    """The mock's stand-in for S3: signed, expiring links to recordings and screenshots."""
    mock = request.app[MOCK]
    name = request.match_info["name"]
    sent = request.query.get("X-Amz-Expires")
    if not sent or not sent.isascii() or not sent.isdigit():  # int() would take "+1_0 "
        what = (
            "missing"
            if not sent
            else f"{sent!r} is not an expiry time (epoch milliseconds, digits only)"
        )
        raise MockError("forbidden", f"this link is not a signed one: X-Amz-Expires {what}")
    expires = int(sent)
    bot, screenshot = mock.bots.media(
        request.match_info["uuid"], name, expires, request.query.get("X-Amz-Signature", "")
    )
    if name in files.EXTRA_FILES:
        body = files.file_bytes(bot, name, mock.bots.transcript(bot))
    elif screenshot is None:
        body = media.recording_bytes(bot.audio_only)
    else:
        body = media.screenshot_png(bot.seed + screenshot)
    suffix = name[name.rfind(".") :]
    return web.Response(body=body, content_type=media.CONTENT_TYPES[suffix])
