"""Bot operations by operationId (paths come from openapi.json), plus media links."""

from __future__ import annotations

from ..web.calls import Route
from . import responses as r
from .media import MEDIA_PREFIX

HANDLERS = {
    "join": r.join,
    "leave": r.leave,
    "get_meeting_data": r.get_meeting_data,
    "delete_data": r.delete_data,
    "bots_with_metadata": r.bots_with_metadata,
    "retranscribe_bot": r.retranscribe_bot,
    "get_screenshots": r.get_screenshots,
    "webhook_documentation": r.webhook_documentation,
    "bot_webhook_documentation": r.bot_webhook_documentation,
    "calendar_webhook_documentation": r.calendar_webhook_documentation,
}


def media_routes() -> list[tuple[str, str, Route]]:
    path = MEDIA_PREFIX + "/{uuid}/{name}"
    return [("GET", path, r.serve_media), ("HEAD", path, r.serve_media)]
