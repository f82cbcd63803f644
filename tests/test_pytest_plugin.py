"""The plugin as a user meets it: a fresh project, its own conftest and ini file."""

from __future__ import annotations

import json

pytest_plugins = ["pytester"]

USER_SCENARIO = """\
name: quick_reject
match: {meeting_url: "zoom\\\\.us/j/666"}
steps:
  - {status: joining_call}
  - {status: bot_rejected, after: 3}
"""


def test_fixtures_seed_and_scenarios_from_ini(pytester):
    pytester.makeini(
        """
        [pytest]
        mockbaas_seed = 7
        mockbaas_scenarios = my_scenarios
        """
    )
    pytester.mkdir("my_scenarios").joinpath("quick_reject.yaml").write_text(USER_SCENARIO)
    pytester.makepyfile(
        """
        def test_user_scenario_is_matched(mockbaas, mockbaas_receiver):
            bot = mockbaas.join("https://zoom.us/j/666", webhook_url=mockbaas_receiver.url)
            mockbaas.advance(10)
            assert mockbaas.statuses(bot) == ["joining_call", "bot_rejected"]
            assert [e["event"] for e in mockbaas_receiver.events()][-1] == "failed"
            mockbaas.assert_contract_kept()

        def test_each_test_starts_fresh(mockbaas):
            assert mockbaas.requests() == []
            assert mockbaas.clock()["now"] == "2025-01-06T09:00:00.000Z"

        def test_seed_from_ini(mockbaas_settings):
            assert mockbaas_settings.seed == 7
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_seed_option_beats_ini_and_settings_can_be_overridden(pytester):
    pytester.makeini("[pytest]\nmockbaas_seed = 7\n")
    pytester.makeconftest(
        """
        import pytest
        from mockbaas.config import Settings

        @pytest.fixture(scope="session")
        def mockbaas_settings():
            return Settings(port=0, seed=11, strict=True, api_keys=["only-this-key"])
        """
    )
    pytester.makepyfile(
        """
        def test_override(mockbaas):
            wrong = mockbaas.request("GET", "/bots/bots_with_metadata", api_key="test-key")
            assert wrong.status == 401
            ok = mockbaas.request("GET", "/bots/bots_with_metadata", api_key="only-this-key")
            assert ok.status == 200

        def test_the_client_uses_the_first_allowed_key(mockbaas):
            assert mockbaas.api_key == "only-this-key"
            assert mockbaas.request("GET", "/bots/bots_with_metadata").status == 200
            mockbaas.join()
            mockbaas.assert_contract_kept()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    pytester.makeconftest("")
    pytester.makepyfile(
        test_seed="""
        def test_seed(mockbaas_settings):
            assert mockbaas_settings.seed == 3
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--mockbaas-seed", "3", "test_seed.py")
    result.assert_outcomes(passed=1)


def test_the_receiver_outlives_the_server_so_pending_webhooks_reach_it(pytester):
    """At the end of the session the mock gives pending events one last attempt; the
    session's receiver must still be listening then."""
    pytester.makeconftest(
        """
        import json

        import pytest

        SEEN = {}

        @pytest.fixture
        def remember(mockbaas_server, mockbaas_receiver):
            SEEN["server"], SEEN["receiver"] = mockbaas_server, mockbaas_receiver

        def pytest_sessionfinish(session):
            server, receiver = SEEN["server"], SEEN["receiver"]
            report = {
                "states": [d.state for d in server.mock.webhooks.journal],
                "received": len(receiver.received),
            }
            (session.config.rootpath / "report.json").write_text(json.dumps(report))
        """
    )
    pytester.makepyfile(
        """
        def test_leaves_a_delivery_pending(mockbaas, mockbaas_receiver, remember):
            mockbaas_receiver.fail_next(1)
            mockbaas.join(webhook_url=mockbaas_receiver.url)  # joining_call: refused once
            [pending] = mockbaas.webhooks()
            assert pending["state"] == "pending"  # its retry is due in 2 virtual seconds
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    report = json.loads((pytester.path / "report.json").read_text())
    assert report == {"states": ["delivered"], "received": 2}
