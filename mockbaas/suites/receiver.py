"""The `receiver` suite: a webhook receiver against what Meeting BaaS really sends.

A mock runs in-process with the receiver as its webhook URL; hypothesis draws scenarios
(every built-in life of a bot), transcription on or off and delivery faults (duplicates,
out-of-order), and every delivery must be acknowledged with a 2xx on first attempt. Each
example is a new bot and every delivery id is new in the run (the mock is not reset
between examples), so a receiver may deduplicate by `x-mockbaas-delivery-id`; the
`duplicate` fault posts a delivery again, same id and body, and that repeat must get a
2xx too. A bot still in its call at the end is made to leave, so its last events are
checked as well. With `expect_key_check`, a delivery signed with a wrong API key must be
refused; with `v2` and `expect_signature_check`, a forged Svix signature too.

    from mockbaas.suites import ReceiverOptions, run_receiver_suite

    report = run_receiver_suite(ReceiverOptions(url="http://127.0.0.1:3000/hooks"))
    assert report.passed, report.problems
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..accounts.models import API_KEY_HEADER
from ..webhooks import DELIVERY_HEADER, Kind
from .extra import require_contract_extra
from .reports import Case, Summary, delivery_curl, write_junit

RECEIVER_KEY = "mockbaas-contract-key"


@dataclass
class ReceiverOptions:
    """One run of the receiver suite."""

    url: str  # the receiver's URL
    api_key: str = RECEIVER_KEY  # the key deliveries are signed with
    examples: int = 30  # bots: every built-in scenario once (faults cycled), then draws
    seed: int = 0  # the mock's seed
    timeout: float = 10.0  # seconds the receiver has to answer
    expect_key_check: bool = False  # a wrong API key must be refused (401/403)
    v2: bool = False  # v2 bots and v2 webhooks, Svix-signed with `signing_secret(...)`
    expect_signature_check: bool = False  # with v2: a forged signature must be refused
    junit_xml: Path | None = None  # one test case per bot sent


def signing_secret(options: ReceiverOptions) -> str:
    """The whsec_ key of the v2 deliveries: derived from the seed and the API key."""
    from ..v2.signing import account_secret

    return account_secret(options.seed, options.api_key)


@dataclass
class ReceiverReport:
    """What the receiver did with every bot's deliveries: no problem means it passed."""

    bots: int = 0
    deliveries: int = 0
    problems: list[str] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    secret: str = ""  # v2: the whsec_ key every delivery was signed with

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        found = len(self.problems)
        return (
            f"{self.bots} bots, {self.deliveries} deliveries, "
            f"{found} problem{'' if found == 1 else 's'}"
        )


def _attempt_problem(attempt: dict[str, Any] | None) -> tuple[str, str] | None:
    """Why one post was not acknowledged, and the kind of problem that is; None on a 2xx."""
    if attempt is None:
        return "was never attempted", "never attempted"
    if attempt["status_code"] is None:
        return f"could not be delivered: {attempt['error']}", "could not be delivered"
    if not 200 <= attempt["status_code"] < 300:
        code = attempt["status_code"]
        return f"receiver answered {code}", f"answered {code}"
    return None


def _check_bot(
    client: Any, bot_id: str, drawn: str, report: ReceiverReport, api_key: str = RECEIVER_KEY
) -> None:
    """Every post of this bot's events must be acknowledged: the first attempt, and the
    deliberate duplicate the `duplicate` fault sends (same delivery id, same body)."""
    case = Case(drawn)
    report.cases.append(case)
    for delivery in client.webhooks(bot_id=bot_id):
        report.deliveries += 1
        attempts = delivery["attempts"]
        found = _attempt_problem(attempts[0] if attempts else None)
        if found is None:
            for repeat in (a for a in attempts if a["kind"] == Kind.DUPLICATE):
                again = _attempt_problem(repeat)
                if again is not None:
                    why = (
                        f"{again[0].replace('could not be delivered', 'failed')} to a deliberate "
                        f"duplicate delivery (same {DELIVERY_HEADER}, same body, sent again on "
                        "purpose; an idempotent receiver answers a repeat with a 2xx)"
                    )
                    found = why, f"{again[1]} to a deliberate duplicate"
                    break
        if found is None:
            continue
        why, kind = found
        problem = (
            f"{drawn}: {delivery['event']} {why}; payload {json.dumps(delivery['payload'])[:240]}"
        )
        case.problems.append(problem)
        body = json.dumps(delivery["payload"], separators=(",", ":"), ensure_ascii=False).encode()
        url = delivery["url"] or ""
        report.summary.add(
            f"{delivery['event']}: {kind}", delivery_curl(url, api_key, delivery, body)
        )
        if problem not in report.problems:
            report.problems.append(problem)


_WRONG_KEY_PAYLOAD = {
    "event": "transcription_complete",
    "data": {"bot_id": "00000000-0000-4000-8000-000000000000"},
}


def _wrong_key_curl(url: str) -> str:
    body = json.dumps(_WRONG_KEY_PAYLOAD).encode()
    return delivery_curl(url, "not-your-key", {"id": "wrong-key-check"}, body)


def _wrong_key_refused(url: str) -> str | None:
    payload = _WRONG_KEY_PAYLOAD
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"content-type": "application/json", API_KEY_HEADER: "not-your-key"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"a delivery with a wrong {API_KEY_HEADER} was accepted ({response.status})"
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            return None
        return f"a delivery with a wrong {API_KEY_HEADER} got {err.code}, expected 401 or 403"
    except OSError as exc:
        return f"receiver unreachable: {exc}"


V2_MEETING = "https://meet.google.com/abc-defg-hij"


def _bad_signature_refused(url: str, secret: str) -> str | None:
    """A v2 delivery signed with another key must be refused (a 4xx)."""
    from ..v2.signing import svix_headers

    body = json.dumps(_WRONG_KEY_PAYLOAD).encode()
    forged = svix_headers(secret[:-4] + "AAA=", "msg_mockbaas_forged", 1_700_000_000, body)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "application/json", **forged}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"a v2 delivery with a forged svix-signature was accepted ({response.status})"
    except urllib.error.HTTPError as err:
        if 400 <= err.code < 500:
            return None
        return f"a v2 delivery with a forged svix-signature got {err.code}, expected a 4xx"
    except OSError as exc:
        return f"receiver unreachable: {exc}"


def run_receiver_suite(options: ReceiverOptions) -> ReceiverReport:
    """Send `options.examples` bots' webhooks to the receiver; what it did with them.
    Raises `MissingExtra` without hypothesis and schemathesis."""
    require_contract_extra()
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ..config import Settings
    from ..testing import BackgroundServer, MockClient

    report = ReceiverReport()
    server = BackgroundServer(
        Settings(
            port=0,
            seed=options.seed,
            strict=True,
            webhook_url=options.url,
            webhook_schedule=(),  # a receiver must take every valid event first time
            webhook_timeout=options.timeout,
        )
    ).start()
    try:
        client = MockClient(server.url, api_key=options.api_key)
        names = sorted(s["name"] for s in client.scenarios()["scenarios"])
        v2 = options.v2
        if v2:
            report.secret = signing_secret(options)

        def exercise(scenario: str, transcript: bool, duplicate: bool, out_of_order: bool) -> None:
            # No reset between examples: each bot, and each delivery id, is new in the run
            # (a receiver may deduplicate by x-mockbaas-delivery-id, as it should).
            report.bots += 1
            client.set_faults(duplicate=duplicate, out_of_order=out_of_order)
            fields: dict[str, Any] = {
                "extra": {"mockbaas_scenario": scenario},
                "deduplication_key": f"mockbaas-contract-{report.bots}",
            }
            if transcript:
                fields["speech_to_text"] = {"provider": "Default"}
            if v2:
                body = {
                    "bot_name": "mockbaas contract",
                    "meeting_url": V2_MEETING,
                    "extra": fields["extra"],
                    "transcription_enabled": transcript,
                }
                made = client.request("POST", "/v2/bots", json_body=body).json()
                bot_id = made["data"]["bot_id"]
            else:
                bot_id = client.join(**fields)
            client.advance(6 * 3600)
            if client.bot(bot_id)["outcome"] is None:  # still in the call (until_removed)
                leave = f"/v2/bots/{bot_id}/leave" if v2 else f"/bots/{bot_id}"
                client.request("POST" if v2 else "DELETE", leave)  # leave, as an app would
                client.advance(3600)
            drawn = (
                f"scenario {scenario} (transcript={transcript}, duplicate={duplicate}, "
                f"out_of_order={out_of_order})"
            )
            _check_bot(client, bot_id, drawn, report, options.api_key)

        # Every scenario first, faults cycled, so no default run misses one; then draws.
        for i, name in enumerate(names[: options.examples]):
            exercise(name, i % 2 == 0, i % 3 == 1, i % 4 == 2)
        drawn = options.examples - min(options.examples, len(names))
        if drawn:
            settings(
                max_examples=drawn,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(
                given(
                    scenario=st.sampled_from(names),
                    transcript=st.booleans(),
                    duplicate=st.booleans(),
                    out_of_order=st.booleans(),
                )(exercise)
            )()
        if v2 and options.expect_signature_check:
            problem = _bad_signature_refused(options.url, report.secret)
            report.cases.append(
                Case("a forged v2 signature is refused", [problem] if problem else [])
            )
            if problem:
                report.problems.append(problem)
        if options.expect_key_check:
            problem = _wrong_key_refused(options.url)
            report.cases.append(Case("a wrong api key is refused", [problem] if problem else []))
            if problem:
                report.problems.append(problem)
                report.summary.add("wrong api key", _wrong_key_curl(options.url))
    finally:
        server.stop()
    if options.junit_xml:
        write_junit(options.junit_xml, "mockbaas contract receiver", report.cases)
    return report
