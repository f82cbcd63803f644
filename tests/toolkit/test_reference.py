"""docs/reference.md stays complete: it names every public MockClient method, Settings
field, control route and recorded field the code has."""

from __future__ import annotations

import dataclasses
import inspect

from support import ROOT

from mockbaas.config import Settings
from mockbaas.core import MockBaaS
from mockbaas.testing import MockClient
from mockbaas.traffic import Exchange
from mockbaas.web.app import make_app
from mockbaas.webhooks import Attempt

REFERENCE = (ROOT / "docs" / "reference.md").read_text()


def test_every_public_client_method_is_listed():
    methods = [n for n, _ in inspect.getmembers(MockClient, inspect.isfunction) if n[0] != "_"]
    missing = [m for m in methods if f"`{m}(" not in REFERENCE]
    assert len(methods) > 20 and not missing


def test_every_settings_field_is_listed():
    missing = [f.name for f in dataclasses.fields(Settings) if f"| `{f.name}` |" not in REFERENCE]
    assert not missing


def test_every_control_route_is_listed():
    app = make_app(MockBaaS(Settings(port=0)))
    routes = {
        f"{r.method} {r.resource.canonical}"
        for r in app.router.routes()
        if r.method not in ("HEAD", "*")  # GET's twin; the 405 for other methods
        and (
            r.resource.canonical.startswith("/_mockbaas") or r.resource.canonical == "/openapi.json"
        )
    }
    missing = sorted(r for r in routes if f"`{r}`" not in REFERENCE)
    assert len(routes) > 20 and not missing


def test_every_recorded_field_is_listed(mockbaas):
    bot = mockbaas.join()
    mockbaas.advance(3600)
    records = [
        mockbaas.bot(bot),
        mockbaas.webhooks()[0],
        {f.name: 0 for f in dataclasses.fields(Attempt)},
        mockbaas.requests()[0],
        mockbaas.fault(status=500),
    ]
    keys = {k for record in records for k in record}
    keys |= {f.name for f in dataclasses.fields(Exchange)} - {"at"}
    keys |= {"next_attempt_at", "contract_errors"}
    missing = sorted(k for k in keys if f"`{k}`" not in REFERENCE)
    assert not missing
