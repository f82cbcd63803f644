"""v2 survives `--state`: a world with v2 bots, a scheduled bot, a calendar with a calendar
bot, Zoom credentials, limits and a signed webhook waiting for a retry, saved half-way and
loaded by a new server, answers and posts exactly what the uninterrupted world does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import per_subject

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

MEET = "https://meet.google.com/abc-defg-hij"
OAUTH = {
    "calendar_platform": "google",
    "oauth_client_id": "cid",
    "oauth_client_secret": "secret",
    "oauth_refresh_token": "refresh-state",
}
Seen = list[tuple[str, int, bytes]]


def settings(path: Path | None) -> Settings:
    return Settings(
        port=0,
        strict=True,
        seed=7,
        public_url="http://mockbaas.test",
        webhook_schedule=(30, 30),
        state_file=path,
        media_secret="v2-state-tests",
    )


def first_half(api: MockClient, hook: str, receiver: WebhookReceiver) -> dict[str, Any]:
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": hook})
    api._control("PUT", "/v2/limits", {"api_key": api.api_key, "tokens": 10, "daily_bot_cap": 5})
    done = api.request("POST", "/v2/bots", json_body={"bot_name": "Done", "meeting_url": MEET})
    done_id = done.json()["data"]["bot_id"]
    api.advance(120)
    api.request("POST", f"/v2/bots/{done_id}/leave")  # a final webhook, resendable later
    live = api.request("POST", "/v2/bots", json_body={"bot_name": "Live", "meeting_url": MEET})
    api.request(
        "POST",
        "/v2/bots/scheduled",
        json_body={"bot_name": "Later", "meeting_url": MEET, "join_at": "2025-01-06T10:00:00Z"},
    )
    raw = api.request("POST", "/v2/calendars/list-raw", json_body=OAUTH).json()["data"][0]
    calendar = api.request(
        "POST", "/v2/calendars", json_body={**OAUTH, "raw_calendar_id": raw["id"]}
    ).json()["data"]["calendar_id"]
    series = api.request("GET", f"/v2/calendars/{calendar}/series").json()["data"]
    chosen = next(s for s in series if s["events"][-1]["meeting_url"])
    api.request(
        "POST",
        f"/v2/calendars/{calendar}/bots",
        json_body={"bot_name": "Cal", "series_id": chosen["series_id"], "all_occurrences": True},
    )
    api.request(
        "POST",
        "/v2/zoom-credentials",
        json_body={
            "name": "Ada",
            "client_id": "c",
            "client_secret": "s",
            "authorization_code": "code-1",
            "redirect_uri": "https://app.example.com/cb",
        },
    )
    api.advance(0)  # what was sent so far has its answer before the receiver goes down
    receiver.go_down()
    api.request("POST", f"/v2/bots/{done_id}/resend-webhook")
    api.advance(1)  # the resend fails once and waits for its retry
    return {"done": done_id, "live": live.json()["data"]["bot_id"], "calendar": calendar}


def second_half(api: MockClient, receiver: WebhookReceiver, ids: dict[str, Any]) -> Seen:
    receiver.come_back()
    seen: Seen = []

    def get(label: str, path: str) -> None:
        r = api.request("GET", path)
        seen.append((label, r.status, r.body))

    for seconds in (30, 1800, 7 * 86_400):
        api.advance(seconds)
        get("bots", "/v2/bots")
        get("scheduled", "/v2/bots/scheduled")
    get("done", f"/v2/bots/{ids['done']}")
    get("live", f"/v2/bots/{ids['live']}")
    get("calendar", f"/v2/calendars/{ids['calendar']}")
    get("events", f"/v2/calendars/{ids['calendar']}/events")
    get("credentials", "/v2/zoom-credentials")
    seen.append(
        ("limits", 200, str(api._control("GET", "/v2/limits", api_key=api.api_key)).encode())
    )
    r = api.request(
        "POST",
        "/v2/zoom-credentials",
        json_body={
            "name": "Ada again",
            "client_id": "c",
            "client_secret": "s",
            "authorization_code": "code-1",  # single-use, before and after the restart
            "redirect_uri": "https://app.example.com/cb",
        },
    )
    seen.append(("code again", r.status, r.body))
    return seen


def posts(receiver: WebhookReceiver, since: int) -> list[tuple[str, str, str, bytes]]:
    return [
        (r.headers["svix-id"], r.headers["svix-signature"], r.headers["svix-timestamp"], r.body)
        for r in receiver.received[since:]
    ]


def test_a_restarted_v2_world_goes_on_as_if_it_never_stopped(tmp_path):
    path = tmp_path / "world.json"
    with WebhookReceiver() as receiver:
        with BackgroundServer(settings(None)) as server:
            api = MockClient(server.url, api_key="v2-key")
            ids = first_half(api, receiver.url, receiver)
            before = len(receiver.received)
            uninterrupted = second_half(api, receiver, ids)
            sent_uninterrupted = posts(receiver, before)
        receiver.clear()

        with BackgroundServer(settings(path)) as server:
            api = MockClient(server.url, api_key="v2-key")
            first_half(api, receiver.url, receiver)
        with BackgroundServer(settings(path)) as server:
            api = MockClient(server.url, api_key="v2-key")
            before = len(receiver.received)
            restarted = second_half(api, receiver, ids)
            sent_restarted = posts(receiver, before)
    assert [s[0] for s in restarted] == [s[0] for s in uninterrupted]
    for a, b in zip(uninterrupted, restarted, strict=True):
        assert a == b
    # the scheduled and calendar bots launched after the restart, and the signed resend
    # pending at the stop arrived afterwards: same Svix ids, signatures and bytes
    # posts to different subjects run concurrently: the same posts, in the same order
    # per subject
    assert sorted(sent_restarted) == sorted(sent_uninterrupted)
    assert per_subject([body for *_, body in sent_restarted]) == per_subject(
        [body for *_, body in sent_uninterrupted]
    )
    assert any(b'"bot.completed"' in body for *_, body in sent_restarted)
