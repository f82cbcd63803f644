"""The dashboard at /_mockbaas/ui in a real headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium). Skipped when no browser is installed.

Each check compares the DOM with the control API's own answer, so a page that renders
stale or wrong data fails. Set MOCKBAAS_SCREENSHOT=docs/dashboard.png to refresh the
README's screenshot.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("no browser: apt-get install chromium chromium-driver", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT_S = 30  # a bound on waiting for the page, not an assertion on its speed
HOSTILE = '<img src=x id=injected onerror="document.title=1">'


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--no-proxy-server", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER)
    )
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    yield chromium
    chromium.get("about:blank")  # stop the page polling the next test's server


def click(browser: Any, css: str) -> None:
    """A real click; the page may re-render the button between finding and clicking."""

    def attempt(_: Any) -> bool:
        browser.find_element(By.CSS_SELECTOR, css).click()
        return True

    WebDriverWait(browser, WAIT_S, ignored_exceptions=[StaleElementReferenceException]).until(
        attempt, message=f"clicked {css}"
    )


def wait_for(browser: Any, check: Callable[[], Any], what: str) -> Any:
    """Poll the page until `check()` is truthy (bounded); its value."""
    return WebDriverWait(browser, WAIT_S, poll_frequency=0.05).until(
        lambda _: check(), message=what
    )


#: What the page shows, read in one script: it re-renders every second, so element
#: handles kept across calls would go stale.
READ = """
const rows = (sel) => Array.from(document.querySelectorAll(sel));
return {
  loaded: document.body.dataset.loaded || null,
  clock: document.getElementById("clock-now").textContent,
  error: document.getElementById("error").textContent,
  load_error: document.getElementById("load-error").textContent,
  bots: Object.fromEntries(rows("#bots tbody tr").map((r) => [r.dataset.botId, {
    status: r.dataset.status, outcome: r.dataset.outcome,
    timeline: Array.from(r.querySelectorAll(".timeline .seg"))
      .map((s) => [s.dataset.code, s.dataset.at]),
    titles: Array.from(r.querySelectorAll(".timeline .seg")).map((s) => s.title),
  }])),
  deliveries: rows("#webhooks tbody tr").map((r) => ({
    id: r.dataset.deliveryId, state: r.dataset.state, event: r.dataset.event,
    attempts: r.querySelectorAll(".attempt").length, text: r.textContent,
  })),
  traffic: rows("#traffic tbody tr").map((r) => ({
    seq: Number(r.dataset.seq), violation: r.classList.contains("violation"), text: r.textContent,
  })),
  markup: document.querySelectorAll("main img, main b, #injected").length,
  title: document.title,
};
"""


def page(browser: Any) -> dict[str, Any]:
    return browser.execute_script(READ)


def page_bots(browser: Any) -> dict[str, dict[str, Any]]:
    return {
        bot_id: {k: v for k, v in shown.items() if k != "titles"}
        for bot_id, shown in page(browser)["bots"].items()
    }


def api_bots(client: Any) -> dict[str, dict[str, Any]]:
    return {
        b["bot_id"]: {
            "status": b["status"] or "",
            "outcome": b["outcome"] or "",
            "timeline": [[e["code"], e["created_at"]] for e in b["history"]],
        }
        for b in client._control("GET", "/bots")["bots"]
    }


def loaded_at(browser: Any) -> str | None:
    return page(browser)["loaded"]


def open_page(browser: Any, url: str) -> None:
    browser.get(url)
    wait_for(browser, lambda: loaded_at(browser), "the page loaded its data")


def test_a_bot_moves_through_its_states_after_an_advance(
    browser, mockbaas, mockbaas_receiver, tmp_path
):
    happy = mockbaas.join(webhook_url=mockbaas_receiver.url)
    rejected = mockbaas.join(
        "https://zoom.us/j/5", scenario="rejected", webhook_url=mockbaas_receiver.url
    )
    mockbaas.request("POST", "/bots/", json_body={"meeting_url": 5})  # the contract refuses it
    open_page(browser, mockbaas.url + "/_mockbaas/ui")
    assert page_bots(browser) == api_bots(mockbaas)
    assert page_bots(browser)[happy]["timeline"] == [["joining_call", "2025-01-06T09:00:00.000Z"]]
    assert page(browser)["clock"] == "2025-01-06T09:00:00.000Z"

    click(browser, "button[data-advance='10']")
    wait_for(browser, lambda: loaded_at(browser) == "2025-01-06T09:00:10.000Z", "+10 s shown")
    assert mockbaas.clock()["now"] == "2025-01-06T09:00:10.000Z"  # the button moved time
    shown = page_bots(browser)
    assert shown == api_bots(mockbaas)
    assert [code for code, _ in shown[happy]["timeline"]] == [
        "joining_call", "in_call_not_recording", "in_call_recording",
    ]  # fmt: skip
    assert shown[happy]["status"] == "in_call_recording"

    click(browser, "#run-idle")
    wait_for(
        browser,
        lambda: page_bots(browser).get(happy, {}).get("outcome") == "complete",
        "the happy bot completes",
    )
    mockbaas.advance(0)  # the last webhook posts have settled
    browser.refresh()
    wait_for(browser, lambda: loaded_at(browser), "the page reloaded its data")
    shown = page_bots(browser)
    assert shown == api_bots(mockbaas)
    assert shown[rejected]["outcome"] == "failed"
    assert shown[happy]["timeline"][-1][0] == "call_ended"
    shown = page(browser)
    assert shown["clock"] == mockbaas.clock()["now"]

    # deliveries: one row per journal entry, same ids, states, events and attempts
    journal = mockbaas.webhooks()
    assert [(d["id"], d["state"], d["attempts"]) for d in shown["deliveries"]] == [
        (d["id"], d["state"], len(d["attempts"])) for d in journal
    ]
    events = [d["event"] for d in shown["deliveries"]]
    assert "complete" in events and "failed" in events
    assert "bot.status_change in_call_recording" in events

    # traffic: newest first, the refused call highlighted with its reason
    calls = mockbaas.requests()
    assert [r["seq"] for r in shown["traffic"]] == [c["seq"] for c in calls][::-1]
    [broken] = [c for c in calls if c["violation"]]
    flagged = [r for r in shown["traffic"] if r["violation"]]
    assert [r["seq"] for r in flagged] == [broken["seq"]]
    assert broken["error"]["message"] in flagged[0]["text"]

    shot = Path(os.environ.get("MOCKBAAS_SCREENSHOT") or tmp_path / "dashboard.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_strings_from_callers_are_shown_as_text(browser, mockbaas, mockbaas_receiver):
    bot = mockbaas.join(webhook_url=mockbaas_receiver.url + "?tag=" + "<b>bold</b>")
    mockbaas.push(bot, "error", error_type="InternalError", error_message=HOSTILE)
    mockbaas.request("GET", "/bots/meeting_data", params={"bot_id": HOSTILE})
    open_page(browser, mockbaas.url + "/_mockbaas/ui")
    shown = page(browser)
    assert shown["markup"] == 0 and shown["title"] == "mockbaas"  # nothing became markup
    call = shown["traffic"][0]  # newest first
    assert "GET /bots/meeting_data?bot_id=<img src" in call["text"]
    assert f"bot_id: {json.dumps(HOSTILE)} is not a" in call["text"]
    assert "?tag=<b>bold</b>" in " ".join(d["text"] for d in shown["deliveries"])
    assert shown["bots"][bot]["titles"][-1].endswith(": " + HOSTILE)


def test_a_refused_action_is_shown_and_changes_nothing(browser, mockbaas):
    mockbaas.join()
    open_page(browser, mockbaas.url + "/_mockbaas/ui")
    browser.execute_script("act('POST', '/clock/advance', {seconds: -1})")
    wait_for(
        browser,
        lambda: "seconds: must be between" in page(browser)["error"],
        "the refusal is shown",
    )
    assert mockbaas.clock()["now"] == "2025-01-06T09:00:00.000Z"


def test_with_a_control_token_the_page_reads_it_from_its_fragment(browser, mockbaas_factory):
    served = mockbaas_factory(control_token="ui-token")
    bot = served.join()
    browser.get(served.url + "/_mockbaas/ui")
    wait_for(
        browser,
        lambda: "Bearer" in page(browser)["load_error"],
        "the refusal without the token is shown",
    )
    assert page_bots(browser) == {}
    browser.get("about:blank")  # a new fragment alone would not reload the page
    open_page(browser, served.url + "/_mockbaas/ui#token=ui-token")
    assert list(page_bots(browser)) == [bot]
