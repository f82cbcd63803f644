"""v2 webhooks: v2 payloads (validated against openapi-v2.json's `webhooks`), signed the
Standard Webhooks / Svix way. A receiver verifying with the `standardwebhooks` package
accepts every one; a tampered body, id, timestamp or secret is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import standardwebhooks
from support import svix_verify as verify

from mockbaas.contract import Contract, v2_path
from mockbaas.testing import MockClient, Received, WebhookReceiver
from mockbaas.v2.signing import account_secret, sign

MEET = "https://meet.google.com/abc-defg-hij"


@pytest.fixture
def secret(api: MockClient) -> str:
    found = api._control("GET", "/v2/webhook-secret", api_key=api.api_key)
    assert found["secret"].startswith("whsec_")
    return found["secret"]


def test_every_v2_event_is_signed_and_verifies(api, mockbaas_receiver: WebhookReceiver, secret):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    seen: list[str] = []

    def check(received: Received) -> None:
        seen.append(verify(secret, received)["event"])  # raises (-> 500) when it does not

    mockbaas_receiver.on_receive(check)
    body = {"bot_name": "N", "meeting_url": MEET, "extra": {"k": "v"}}
    done = api.request("POST", "/v2/bots", json_body=body).json()["data"]["bot_id"]
    failed = api.request(
        "POST", "/v2/bots", json_body={**body, "extra": {"mockbaas_scenario": "rejected"}}
    ).json()["data"]["bot_id"]
    api.advance(120)
    api._control("POST", f"/v2/bots/{done}/chat", {"sender_name": "Ada", "text": "hello"})
    api.advance(3600)
    assert {"bot.status_change", "bot.completed", "bot.failed", "bot.chat_message"} <= set(seen)
    deliveries = api.webhooks(done) + api.webhooks(failed)
    assert deliveries and all(d["state"] == "delivered" for d in deliveries)
    assert all(not d["contract_errors"] for d in deliveries)
    assert all(r.answered == 200 for r in mockbaas_receiver.received)
    chat = [e for e in mockbaas_receiver.events() if e["event"] == "bot.chat_message"]
    assert chat[0]["data"]["text"] == "hello" and chat[0]["data"]["sender_name"] == "Ada"
    assert chat[0]["extra"] == {"k": "v"}
    statuses = [e for e in mockbaas_receiver.events() if e["event"] == "bot.status_change"]
    assert statuses[0]["data"]["status"]["code"] == "joining_call"
    recording = [s for s in statuses if s["data"]["status"]["code"] == "in_call_recording"]
    assert isinstance(recording[0]["data"]["status"]["start_time"], int)


def test_v2_payloads_match_the_contract(api, mockbaas_receiver):
    v2 = Contract.load(v2_path())
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    for scenario in ("happy_path", "rejected", "pause_resume", "removed_by_participant"):
        extra = {"mockbaas_scenario": scenario}
        api.request(
            "POST", "/v2/bots", json_body={"bot_name": "N", "meeting_url": MEET, "extra": extra}
        )
    api.advance(4 * 3600)
    events = mockbaas_receiver.events()
    assert events
    for event in events:
        assert v2.webhook_errors(event["event"], event) == []


def test_tampering_is_refused(api, mockbaas_receiver, secret):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    api.request("POST", "/v2/bots", json_body={"bot_name": "N", "meeting_url": MEET})
    api.advance(1)
    received = mockbaas_receiver.received[0]
    verify(secret, received)
    tampered = [
        Received(
            received.path, received.headers, received.body.replace(b"joining", b"joinin9"), 200
        ),
        Received(received.path, {**received.headers, "svix-id": "msg_other"}, received.body, 200),
        Received(
            received.path,
            {
                **received.headers,
                "svix-timestamp": str(int(received.headers["svix-timestamp"]) + 1),
            },
            received.body,
            200,
        ),
    ]
    for bad in tampered:
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            verify(secret, bad)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        verify(account_secret(0, "another-key"), received)


def test_secret_is_per_account_and_seeded():
    assert account_secret(0, "a") == account_secret(0, "a")
    assert account_secret(0, "a") != account_secret(0, "b")
    assert account_secret(0, "a") != account_secret(1, "a")


def test_signature_follows_the_standard_webhooks_scheme():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ours = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    theirs = standardwebhooks.Webhook(secret).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(1614265330, tz=UTC),
        b'{"test": 2432232314}',
    )
    assert ours == theirs


def test_a_stock_receiver_verifies_them_as_received_under_the_realtime_clock(mockbaas_receiver):
    """No renaming, no patched clock: the realtime clock (serve's default) signs with a
    time a verifier's 5-minute window accepts, and both header sets are there."""
    from mockbaas.config import Settings
    from mockbaas.testing import BackgroundServer

    settings = Settings(port=0, strict=True, clock="realtime", speed=1.0)
    with BackgroundServer(settings) as server:
        api = MockClient(server.url, api_key="stock-key")
        key = api._control("GET", "/v2/webhook-secret", api_key=api.api_key)["secret"]
        api.request(
            "POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url}
        )
        api.request("POST", "/v2/bots", json_body={"bot_name": "N", "meeting_url": MEET})
        api.advance(0)
        [first, *_] = mockbaas_receiver.received
    payload = standardwebhooks.Webhook(key).verify(first.body, first.headers)
    assert payload["event"] == "bot.status_change"
    assert first.headers["svix-signature"] == first.headers["webhook-signature"]
