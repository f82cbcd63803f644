"""Zoom OAuth operations by operationId (paths come from openapi.json)."""

from __future__ import annotations

from . import responses as r

HANDLERS = {
    "list_zoom_oauth_connections": r.list_connections,
    "create_zoom_oauth_connection": r.create_connection,
    "get_zoom_oauth_connection": r.get_connection,
    "delete_zoom_oauth_connection": r.delete_connection,
}
