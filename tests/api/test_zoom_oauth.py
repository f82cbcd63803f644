"""Zoom OAuth connections (2026 v1 routes): stateful per account, over real HTTP."""

from __future__ import annotations

from support import assert_conforms

BODY = {
    "authorization_code": "code-1",
    "redirect_uri": "https://app.example.com/zoom/callback",
    "zoom_client_id": "zoom-client",
    "zoom_client_secret": "zoom-secret",
}


def test_create_list_get_delete(api, contract):
    resp = api.request("POST", "/zoom_oauth_connections/", json_body=BODY)
    assert resp.status == 201
    assert_conforms(contract, "create_zoom_oauth_connection", resp)
    made = resp.json()
    assert made == {
        "created_at": "2025-01-06T09:00:00.000",
        "scopes": "user:read:user user:read:token user:read:zak",
        "state": "connected",
        "updated_at": "2025-01-06T09:00:00.000",
        "uuid": made["uuid"],
        "zoom_account_id": made["zoom_account_id"],
        "zoom_user_id": made["zoom_user_id"],
    }
    assert len(made["zoom_user_id"]) == 22 and len(made["zoom_account_id"]) == 22
    api.advance(60)
    second = api.request(
        "POST", "/zoom_oauth_connections/", json_body={**BODY, "authorization_code": "code-2"}
    ).json()
    assert second["zoom_account_id"] == made["zoom_account_id"]  # same Zoom app
    assert second["zoom_user_id"] != made["zoom_user_id"]
    assert second["created_at"] == "2025-01-06T09:01:00.000"

    listed = api.request("GET", "/zoom_oauth_connections/")
    assert_conforms(contract, "list_zoom_oauth_connections", listed)
    assert listed.json() == [made, second]
    assert api.request("GET", "/zoom_oauth_connections/", api_key="other").json() == []

    got = api.request("GET", f"/zoom_oauth_connections/{made['uuid']}")
    assert_conforms(contract, "get_zoom_oauth_connection", got)
    assert got.json() == made
    foreign = api.request("GET", f"/zoom_oauth_connections/{made['uuid']}", api_key="other")
    assert foreign.status == 404

    gone = api.request("DELETE", f"/zoom_oauth_connections/{made['uuid']}")
    assert gone.status == 204 and gone.body == b""
    assert_conforms(contract, "delete_zoom_oauth_connection", gone)
    again = api.request("DELETE", f"/zoom_oauth_connections/{made['uuid']}")
    assert again.status == 404 and again.json()["error"] == "not_found"
    assert api.request("GET", "/zoom_oauth_connections/").json() == [second]


def test_codes_are_single_use_and_bodies_checked(api, contract):
    assert api.request("POST", "/zoom_oauth_connections/", json_body=BODY).status == 201
    reused = api.request("POST", "/zoom_oauth_connections/", json_body=BODY)
    assert reused.status == 409 and "single-use" in reused.json()["message"]
    assert_conforms(contract, "create_zoom_oauth_connection", reused)
    missing = api.request(
        "POST", "/zoom_oauth_connections/", json_body={"authorization_code": "code-9"}
    )
    assert missing.status == 422
    assert {d["path"] for d in missing.json()["details"]} >= {"redirect_uri", "zoom_client_id"}
    bad_id = api.request("GET", "/zoom_oauth_connections/not-a-uuid")
    assert bad_id.status == 400
    assert len(api.request("GET", "/zoom_oauth_connections/").json()) == 1
