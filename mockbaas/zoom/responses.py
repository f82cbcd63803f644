"""Thin handlers for the Zoom OAuth connection operations."""

from __future__ import annotations

from aiohttp import web

from ..web.calls import Call, Reply


def list_connections(call: Call) -> Reply:
    return 200, call.mock.zoom.list(call.account)


def create_connection(call: Call) -> Reply:
    return 201, call.mock.zoom.create(call.account, call.body).as_dict()


def get_connection(call: Call) -> Reply:
    return 200, call.mock.zoom.get(call.account, call.params["uuid"]).as_dict()


def delete_connection(call: Call) -> Reply:
    call.mock.zoom.delete(call.account, call.params["uuid"])
    return web.Response(status=204)
