"""GET /openapi.json: the contract, served by the mock, pointing at the mock."""

from __future__ import annotations

import json

from support import ROOT


def test_the_mock_serves_its_contract_with_itself_as_the_server(mockbaas):
    resp = mockbaas.request("GET", "/openapi.json")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
    served = resp.json()
    assert served["servers"] == [{"url": mockbaas.url, "description": "this mockbaas server"}]
    original = json.loads((ROOT / "openapi.json").read_text())
    served.pop("servers")
    original.pop("servers", None)
    assert served == original
    assert mockbaas.request("GET", "/openapi.json").body == resp.body  # same bytes each time
    # reading the contract is not a call of the API: the traffic log stays clean
    assert mockbaas.requests() == []
    mockbaas.assert_contract_kept()


def test_only_get(mockbaas):
    resp = mockbaas.request("POST", "/openapi.json", json_body={})
    assert resp.status == 405 and resp.headers["Allow"].startswith("GET")
