"""Safe to run anywhere: who may use the control API, where webhooks may go, media links
nobody can forge, and hostile input answered with a 4xx. All over HTTP, on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import select
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support import CREDS, JOIN, MEET_URL

from mockbaas.bots.media import Signer, media_key
from mockbaas.cli.foreground import banner
from mockbaas.config import Settings
from mockbaas.control.access import ensure_control_token
from mockbaas.targets import TargetPolicy
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

TOKEN = "t0k3n-for-tests"
YEAR_9999_MS = 253402300799000
BOT_ID = "00000000-0000-4000-8000-000000000001"


def served(**overrides: Any) -> BackgroundServer:
    return BackgroundServer(Settings(port=0, strict=True, **overrides))


# -- the target policy, pure -----------------------------------------------------------------
REFUSED_BY_DEFAULT = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/_stats",
    "ftp://127.0.0.1/x",
    "javascript:alert(1)",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[::ffff:169.254.169.254]/",
    "http://10.0.0.7/hook",
    "http://192.168.1.1/hook",
    "https://hooks.example.com/x",
    "http://2130706433/",  # 127.0.0.1 to some resolvers: not an address, so a name
    "http://evil.example\\@127.0.0.1/",
    "http://%31%32%37.0.0.1/",
    "http://127.0.0.1:99999/",
    "http:///no-host",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED_BY_DEFAULT)
def test_default_policy_refuses(url):
    refusal = TargetPolicy.build().refusal(url)
    assert refusal is not None and "--webhook-allow" in refusal


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:3000/hook", "https://localhost/h", "http://[::1]:8/", "http://127.9.9.9/"],
)
def test_default_policy_allows_loopback(url):
    assert TargetPolicy.build().allows(url)


def test_allow_list_entries_and_named_hosts():
    policy = TargetPolicy.build(
        ["hooks.example.com", ".corp.example", "10.1.0.0/16"],
        ["https://receiver.test/in", "http://mock.public.test", None],
    )
    assert policy.allows("https://hooks.example.com/x")
    assert policy.allows("https://a.b.corp.example/x") and policy.allows("http://corp.example/")
    assert policy.allows("http://10.1.200.3:9000/") and not policy.allows("http://10.2.0.1/")
    assert policy.allows("https://receiver.test/elsewhere")  # --webhook-url's host
    assert policy.allows("http://mock.public.test/")  # --public-url's host
    assert not policy.allows("http://127.0.0.1/")  # an allow-list replaces loopback
    assert not policy.allows("http://badcorp.example/")


def test_link_local_needs_an_entry_of_its_own():
    assert not TargetPolicy(["*"]).allows("http://169.254.169.254/")
    assert not TargetPolicy(["0.0.0.0/0"]).allows("http://169.254.169.254/")
    assert TargetPolicy(["*"]).allows("http://anything.example/")
    assert TargetPolicy(["169.254.169.254"]).allows("http://169.254.169.254/")


@pytest.mark.parametrize("entry", ["", "not a host!", "10.0.0.0/99", "*.*", "a..b"])
def test_bad_allow_entries_are_refused(entry):
    with pytest.raises(ValueError):
        TargetPolicy([entry])


# -- refused targets answer 422 where they are set, and change nothing ----------------------
@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://169.254.169.254/x", "gopher://a/"])
def test_join_with_a_refused_webhook_url_is_a_422(api: MockClient, url: str) -> None:
    resp = api.request("POST", "/bots/", json_body={**JOIN, "webhook_url": url})
    assert resp.status == 422
    body = resp.json()
    assert body["error"] == "validation_error" and "--webhook-allow" in body["message"]
    assert body["details"][0]["path"] == "webhook_url"
    assert api._control("GET", "/bots")["bots"] == []  # no bot was sent


def test_account_webhook_url_refused_and_unchanged(api: MockClient, mockbaas_receiver) -> None:
    ok = api.request(
        "POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url}
    )
    assert ok.status == 200
    resp = api.request(
        "POST", "/accounts/webhook_url", json_body={"webhook_url": "http://169.254.169.254/"}
    )
    assert resp.status == 422 and "link-local" in resp.json()["message"]
    got = api.request("GET", "/accounts/webhook_url").json()
    assert got == {"webhook_url": mockbaas_receiver.url}


def test_retranscribe_and_calendar_bots_refuse_targets_too(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(3600)
    resp = api.request(
        "POST",
        "/bots/retranscribe",
        json_body={"bot_uuid": bot_id, "webhook_url": "http://metadata.google.internal/"},
    )
    assert resp.status == 422 and "--webhook-allow" in resp.json()["message"]
    assert api.webhooks(event="transcription_complete") == []

    calendar = api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]
    page = api.request("GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]})
    event = page.json()["data"][0]
    path = f"/calendar_events/{event['uuid']}/bot"
    good = {"bot_name": "x", "extra": {}, "transcription_custom_parameters": None}
    bad = {**good, "webhook_url": "https://hooks.example.com/x"}
    refused = api.request("POST", path, json_body=bad)
    assert refused.status == 422 and "--webhook-allow" in refused.json()["message"]
    assert api.request("GET", f"/calendar_events/{event['uuid']}").json() == event
    assert api.request("POST", path, json_body=good).status == 200
    scheduled = api.request("GET", f"/calendar_events/{event['uuid']}").json()
    refused = api.request("PATCH", path, json_body={"webhook_url": "file:///x"})
    assert refused.status == 422 and "--webhook-allow" in refused.json()["message"]
    assert api.request("GET", f"/calendar_events/{event['uuid']}").json() == scheduled


def test_redeliver_to_a_refused_url_is_a_422(api: MockClient) -> None:
    api.join(MEET_URL)  # no URL anywhere: journaled as no_url
    delivery = api.webhooks()[0]
    resp = api.request(
        "POST",
        f"/_mockbaas/webhooks/{delivery['id']}/redeliver",
        json_body={"url": "http://169.254.169.254/latest"},
    )
    assert resp.status == 422 and "--webhook-allow" in resp.json()["message"]
    assert api.webhooks()[0] == delivery


# -- refused targets are never contacted -------------------------------------------------------
@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback listener on 127.0.0.2, an address the policy under test refuses."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.2", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def _status_change(bot_id: str) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "status": {"code": "joining_call", "created_at": "2025-01-06T09:00:00.000Z"},
    }


def connections(sock: socket.socket) -> int:
    """Connections waiting in the listener's backlog, taken now (nothing is awaited)."""
    count = 0
    while select.select([sock], [], [], 0)[0]:
        conn, _ = sock.accept()
        conn.close()
        count += 1
    return count


def test_a_refused_target_is_never_dialed(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    refused = [f"http://127.0.0.2:{port}/hook", f"gopher://127.0.0.2:{port}/x"]
    with served(webhook_allow=["127.0.0.1"]) as server:
        api = MockClient(server.url)
        for url in refused:
            resp = api.request("POST", "/bots/", json_body={**JOIN, "webhook_url": url})
            assert resp.status == 422
        # defense in depth: a target that got into the engine anyway is not dialed either
        assert server.mock is not None
        mock = server.mock
        account = mock.accounts.authenticate("test-key")

        async def send() -> None:
            for url in refused:
                data = _status_change(BOT_ID)
                mock.webhooks.send(account, "bot.status_change", data, url=url, subject=url)

        server.call(send())
        api.advance(120)
        journal = api.webhooks()
        assert len(journal) == 2 and all(d["state"] == "failed" for d in journal)
        for delivery in journal:
            assert all(a["error"].startswith("refused, not sent") for a in delivery["attempts"])
    assert connections(listener) == 0


def test_the_listener_would_have_seen_a_dial(listener: socket.socket) -> None:
    """The control experiment: once allowed, the same target is really connected to."""
    port = listener.getsockname()[1]
    with served(webhook_allow=["127.0.0.2"], webhook_timeout=0.5, webhook_schedule=()) as server:
        api = MockClient(server.url)
        api.join(MEET_URL, webhook_url=f"http://127.0.0.2:{port}/hook")
        api.advance(1)
    assert connections(listener) >= 1


def test_link_local_is_refused_before_any_connection(monkeypatch) -> None:
    """No listener can sit on 169.254.169.254 here: a spy on the HTTP client instead."""
    import aiohttp

    dialed: list[str] = []

    def spy(self: Any, url: str, **kwargs: Any) -> Any:
        dialed.append(url)
        raise AssertionError("dialed")

    monkeypatch.setattr(aiohttp.ClientSession, "post", spy)
    with served() as server:
        assert server.mock is not None
        mock = server.mock
        account = mock.accounts.authenticate("k")

        async def send() -> None:
            url = "http://169.254.169.254/x"
            data = _status_change(BOT_ID)
            mock.webhooks.send(account, "bot.status_change", data, url=url, subject="s")

        server.call(send())
        MockClient(server.url).advance(60)
        (delivery,) = MockClient(server.url).webhooks()
        assert "link-local" in delivery["attempts"][0]["error"]
    assert dialed == []


# -- the control API: token, loopback, Host, Origin, JSON writes --------------------------------
def test_a_token_is_required_on_every_control_call_when_set() -> None:
    with served(control_token=TOKEN) as server:
        bare = MockClient(server.url, control_token=None)
        bare.control_token = None
        for method, path in [("GET", "/clock"), ("POST", "/reset"), ("GET", "/health")]:
            resp = bare.request(method, "/_mockbaas" + path)
            assert resp.status == 401, path
            assert resp.json()["error"] == "unauthorized" and "Bearer" in resp.json()["message"]
        wrong = bare.request("GET", "/_mockbaas/clock", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        client = MockClient(server.url, control_token=TOKEN)
        bot_id = client.join(MEET_URL)  # the API itself needs no token
        client.advance(3600)
        assert client.statuses(bot_id)[-1] == "call_ended"
        mp4 = client.request("GET", f"/bots/meeting_data?bot_id={bot_id}").json()["mp4"]
        assert bare.request("GET", mp4[len(server.url) :]).status == 200  # signed instead


def test_undecodable_bytes_in_the_credential_are_a_401_not_a_crash() -> None:
    with served(control_token=TOKEN) as server:
        host, port = server.url.removeprefix("http://").split(":")
        for credential in (b"\xe9", TOKEN.encode() + b"\xe9", b"\xff\xfe"):
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(
                    b"GET /_mockbaas/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Authorization: Bearer " + credential + b"\r\nConnection: close\r\n\r\n"
                )
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 401"), answer[:200]
            assert json.loads(body)["error"] == "unauthorized"


def test_undecodable_bytes_in_an_api_key_are_a_401_and_no_account() -> None:
    with served() as server:
        host, port = server.url.removeprefix("http://").split(":")
        for path in (b"/bots/bots_with_metadata", b"/v2/bots"):
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(
                    b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"x-meeting-baas-api-key: k\xe9y\r\nConnection: close\r\n\r\n"
                )
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
            assert b"not UTF-8 text" in answer
        assert MockClient(server.url).request("GET", "/_mockbaas/health").status == 200


def test_unknown_control_paths_and_methods_are_guarded_json_errors() -> None:
    """A path or method the control API lacks is still a control call: the token comes
    first, then a JSON 404, or a 405 naming the methods the path has."""
    with served(control_token=TOKEN) as server:
        bare = MockClient(server.url, control_token=None)
        bare.control_token = None
        for method, path in [
            ("GET", "/nope"),
            ("PUT", "/clock"),
            ("DELETE", "/reset"),
            ("GET", ""),
        ]:
            refused = bare.request(method, "/_mockbaas" + path)
            assert refused.status == 401, path
            assert refused.headers["WWW-Authenticate"] == 'Bearer realm="mockbaas control API"'
        assert bare.request("GET", "/_mockbaasx").status == 404  # an unknown API path
        auth = {"Authorization": f"Bearer {TOKEN}"}
        missing = bare.request("GET", "/_mockbaas/nope", headers=auth)
        assert missing.status == 404
        assert missing.json() == {
            "error": "not_found",
            "message": "no route for GET /_mockbaas/nope",
        }
        wrong = bare.request("PUT", "/_mockbaas/clock", headers=auth)
        assert wrong.status == 405 and wrong.headers["Allow"] == "GET, HEAD"
        assert wrong.json()["error"] == "method_not_allowed"
        assert bare.request("GET", "/_mockbaas", headers=auth).status == 404
        # a static path is no id of its templated sibling (/webhooks/{id}): a 405
        static = bare.request("GET", "/_mockbaas/webhooks/trigger", headers=auth)
        assert static.status == 405 and static.headers["Allow"] == "POST"
        logged = bare.request("GET", "/_mockbaas/requests", headers=auth).json()
        # control calls are not API traffic
        assert [e["path"] for e in logged["requests"]] == ["/_mockbaasx"]
        # the contract document is no control call: no token for its 405 either
        wrong = bare.request("POST", "/openapi.json", json_body={})
        assert wrong.status == 405 and wrong.headers["Allow"] == "GET, HEAD"


def test_the_token_comes_from_the_environment_for_the_client(monkeypatch) -> None:
    monkeypatch.setenv("MOCKBAAS_CONTROL_TOKEN", TOKEN)
    with served(control_token=TOKEN) as server:
        assert MockClient(server.url).clock()["mode"] == "manual"


def test_a_client_outside_the_allowed_range_is_refused() -> None:
    """The server answers only 127.0.0.2 without a token; this test calls from 127.0.0.1,
    which it then sees as any other machine."""
    with served(control_clients=("127.0.0.2/32",)) as server:
        api = MockClient(server.url)
        api.control_token = None
        resp = api.request("GET", "/_mockbaas/bots")
        assert resp.status == 403
        assert "loopback clients only" in resp.json()["message"]
        assert "--control-token" in resp.json()["message"]
        assert api.request("GET", "/bots/bots_with_metadata").status == 200  # API unaffected


def test_a_client_outside_the_range_with_the_token_is_served() -> None:
    with served(control_clients=("127.0.0.2/32",), control_token=TOKEN) as server:
        assert MockClient(server.url, control_token=TOKEN).clock()["mode"] == "manual"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example:8080", 403),
        ("rebind.attacker.test", 403),
        ("localhost:8080", 200),
        ("127.0.0.1", 200),
        ("[::1]:80", 200),
        ("mock.public.test:443", 200),  # the --public-url host
    ],
)
def test_dns_rebinding_host_is_refused(host: str, status: int) -> None:
    with served(public_url="https://mock.public.test") as server:
        api = MockClient(server.url)
        api.control_token = None
        resp = api.request("GET", "/_mockbaas/webhooks", headers={"Host": host})
        assert resp.status == status, resp.body
        if status == 403:
            assert "DNS rebinding" in resp.json()["message"]


def test_cross_site_form_post_is_refused_and_changes_nothing(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempts = [
        ({**form, "Origin": "https://evil.example"}, b"seconds=3600", 403),
        ({**form, "Origin": "null"}, b"seconds=3600", 403),
        (form, b"seconds=3600", 415),  # an old browser that sends no Origin
        ({"Content-Type": "text/plain"}, b'{"seconds": 3600}', 415),
    ]
    for headers, data, status in attempts:
        for path in ("/_mockbaas/clock/advance", "/_mockbaas/reset"):
            resp = api.request("POST", path, data=data, headers=headers)
            assert resp.status == status, (path, headers)
            assert resp.json()["error"] in ("forbidden", "unsupported_media_type")
    assert api.clock()["now"] == "2025-01-06T09:00:00.000Z"
    assert api.statuses(bot_id) == ["joining_call"]  # no reset happened either


def test_local_origins_and_bare_posts_are_served(api: MockClient) -> None:
    json_headers = {"Content-Type": "application/json", "Origin": "http://localhost:3000"}
    resp = api.request(
        "POST", "/_mockbaas/clock/advance", data=b'{"seconds": 1}', headers=json_headers
    )
    assert resp.status == 200
    assert api.request("POST", "/_mockbaas/reset").status == 200  # curl -X POST, no body


def test_a_token_is_generated_beyond_loopback_and_the_banner_warns() -> None:
    local = Settings(host="127.0.0.1")
    assert not ensure_control_token(local) and local.control_token is None
    wide = Settings(host="0.0.0.0", port=8080)
    assert ensure_control_token(wide)
    assert wide.control_token and len(wide.control_token) >= 32
    text = banner(wide, "0.0.0.0", True)
    assert "listening on http://0.0.0.0:8080" in text
    assert "WARNING" in text and "other machines" in text
    assert wide.control_token in text
    given = Settings(host="::", port=1, control_token="mine")
    assert not ensure_control_token(given)
    shown = banner(given, "::", False)
    assert "http://[::]:1" in shown and "WARNING" in shown and "mine" not in shown
    assert "WARNING" not in banner(local, "127.0.0.1", False)


# -- redeliver: the account's key goes only where the account or the operator sends it -------
def _redeliver(api: MockClient, delivery_id: str, url: str, headers: dict[str, str]) -> int:
    resp = api.request(
        "POST",
        f"/_mockbaas/webhooks/{delivery_id}/redeliver",
        json_body={"url": url},
        headers=headers,
    )
    return resp.status


def test_redeliver_elsewhere_carries_the_key_only_for_its_account_or_the_token() -> None:
    with WebhookReceiver() as first, WebhookReceiver() as second:
        with served(webhook_url=first.url) as server:
            api = MockClient(server.url, api_key="victim-key")
            api.join(MEET_URL)
            api.advance(0)  # waits for the first attempt
            delivery = api.webhooks()[0]
            assert first.received[0].headers["x-meeting-baas-api-key"] == "victim-key"
            stranger = {"x-meeting-baas-api-key": "someone-else"}
            assert _redeliver(api, delivery["id"], second.url, stranger) == 200
            assert "x-meeting-baas-api-key" not in second.received[-1].headers
            assert _redeliver(api, delivery["id"], second.url, {}) == 200  # same URL now
            assert "x-meeting-baas-api-key" not in second.received[-1].headers
            api.redeliver(delivery["id"], first.url)  # the client sends its own key
            assert first.received[-1].headers["x-meeting-baas-api-key"] == "victim-key"
        with served(webhook_url=first.url, control_token=TOKEN) as server:
            api = MockClient(server.url, api_key="victim-key", control_token=TOKEN)
            api.join(MEET_URL)
            delivery = api.webhooks()[0]
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            assert _redeliver(api, delivery["id"], second.url, bearer) == 200
            assert second.received[-1].headers["x-meeting-baas-api-key"] == "victim-key"


# -- media links ---------------------------------------------------------------------------
def _forge(base: str, bot_id: str, key: bytes) -> str:
    path = f"/_mockbaas/media/{bot_id}/recording.mp4"
    signature = hmac.new(key, f"{path}\n{YEAR_9999_MS}".encode(), hashlib.sha256).hexdigest()
    return f"{path}?X-Amz-Expires={YEAR_9999_MS}&X-Amz-Signature={signature[:32]}"


def test_a_forged_year_9999_link_is_a_403() -> None:
    with served(seed=0) as server:
        api = MockClient(server.url)
        bot_id = api.join(MEET_URL)
        api.advance(3600)
        issued = api.request("GET", f"/bots/meeting_data?bot_id={bot_id}").json()["mp4"]
        assert api.request("GET", issued[len(server.url) :]).status == 200
        seed_key = hashlib.sha256(b"mockbaas-media-0").digest()  # what the seed once gave
        for key in (seed_key, media_key("guess"), media_key(None)):
            resp = api.request("GET", _forge(server.url, bot_id, key))
            assert resp.status == 403 and "signature" in resp.json()["message"]
        expires = parse_qs(urlsplit(issued).query)["X-Amz-Expires"][0]
        assert int(expires) < YEAR_9999_MS


def test_a_given_media_secret_makes_links_reproducible() -> None:
    """The same forgery with the operator's secret is accepted: the 403 above is about
    the key, not the year; and two servers with one secret hand out the same bytes."""
    links = []
    for _ in range(2):
        with served(media_secret="shared") as server:
            api = MockClient(server.url)
            bot_id = api.join(MEET_URL)
            api.advance(3600)
            assert api.request("GET", _forge(server.url, bot_id, media_key("shared"))).status == 200
            mp4 = api.request("GET", f"/bots/meeting_data?bot_id={bot_id}").json()["mp4"]
            links.append(urlsplit(mp4).query)
    assert links[0] == links[1]
    assert Signer(media_key("shared")).sign("/x", 1) == Signer(media_key("shared")).sign("/x", 1)


def test_without_a_media_secret_links_differ_between_servers() -> None:
    queries = []
    for _ in range(2):
        with served() as server:
            api = MockClient(server.url)
            bot_id = api.join(MEET_URL)
            api.advance(3600)
            mp4 = api.request("GET", f"/bots/meeting_data?bot_id={bot_id}").json()["mp4"]
            queries.append(urlsplit(mp4).query)
    assert queries[0] != queries[1]


# -- hostile input is a 4xx, never a 500 ----------------------------------------------------
@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"seconds": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        (b'{"seconds": 1' + b"0" * 5000 + b"}", 400),
        (b'{"seconds": "' + b"x" * 2_000_000 + b'"}', 413),
    ],
)
def test_deep_or_huge_json_on_control_routes(api: MockClient, data: bytes, status: int) -> None:
    for path in ("/_mockbaas/clock/advance", "/_mockbaas/webhooks/faults"):
        method = "PUT" if path.endswith("faults") else "POST"
        resp = api.request(method, path, data=data, headers={"Content-Type": "application/json"})
        assert resp.status == status, (path, resp.body[:200])
        assert resp.json()["error"] in ("invalid_json", "payload_too_large")


@pytest.mark.parametrize(
    "cursor",
    [
        # within the URL length aiohttp reads; anything past 256 characters is refused
        base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).decode(),
        base64.urlsafe_b64encode(b'{"offset": ' + b"[" * 90 + b"]" * 90 + b"}").decode(),
        "A" * 6000,
        base64.urlsafe_b64encode(b'{"offset": 1' + b"0" * 5000 + b"}").decode(),
    ],
)
def test_deep_or_huge_cursors_are_a_400(api: MockClient, cursor: str) -> None:
    calendar = api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]
    for path, params in [
        ("/bots/bots_with_metadata", {"cursor": cursor}),
        ("/calendar_events/", {"calendar_id": calendar["uuid"], "cursor": cursor}),
    ]:
        resp = api.request("GET", path, params=params)
        assert resp.status == 400, (path, resp.body[:200])
        assert resp.json()["details"][0]["path"] == "cursor"
