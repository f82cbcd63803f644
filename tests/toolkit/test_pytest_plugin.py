"""The plugin as a user meets it: a fresh project, its own conftest and ini file."""

from __future__ import annotations

import json

import pytest

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
            mockbaas.advance(0)  # until that first attempt has its answer
            [pending] = mockbaas.webhooks()
            assert pending["state"] == "pending"  # its retry is due in 2 virtual seconds
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    report = json.loads((pytester.path / "report.json").read_text())
    assert report == {"states": ["delivered"], "received": 2}


def test_marker_gives_a_test_its_own_server_and_leaves_the_session_server_untouched(pytester):
    pytester.makepyfile(
        """
        import pytest
        from mockbaas.testing import MockClient

        SEEN = {}

        def test_a_session(mockbaas, mockbaas_server):
            SEEN["url"] = mockbaas.url
            assert mockbaas.url == mockbaas_server.url
            SEEN["bot"] = mockbaas.join()

        @pytest.mark.mockbaas(seed=5, api_keys=["marked-key"], webhook_schedule=(1,))
        def test_b_marked(mockbaas, mockbaas_server):
            assert mockbaas.url != mockbaas_server.url
            assert mockbaas.api_key == "marked-key"
            assert mockbaas.request("GET", "/bots/bots_with_metadata", api_key="x").status == 401
            assert mockbaas.server.settings.seed == 5
            assert mockbaas.server.settings.webhook_schedule == (1,)
            mockbaas.join()
            mockbaas.advance(3600)
            SEEN["marked_url"] = mockbaas.url

        def test_c_session_untouched(mockbaas_server, mockbaas_settings):
            # no reset here: the session server still holds what test_a did, only that
            session = MockClient(mockbaas_server.url)
            assert mockbaas_server.url == SEEN["url"]
            assert mockbaas_server.settings is mockbaas_settings
            assert (mockbaas_settings.seed, mockbaas_settings.api_keys) == (0, [])
            assert [b["bot_id"] for b in session._control("GET", "/bots")["bots"]] == [SEEN["bot"]]
            assert len(session.requests()) == 1  # test_a's join; none of test_b's calls
            assert session.clock()["now"] == "2025-01-06T09:00:00.000Z"  # no advance here

        def test_d_marked_server_stopped():
            import urllib.error
            import pytest
            with pytest.raises(urllib.error.URLError):
                MockClient(SEEN["marked_url"], timeout=5).clock()

        def test_e_factory(mockbaas, mockbaas_factory):
            other = mockbaas_factory(seed=9)
            assert other.url != mockbaas.url and other.server.settings.seed == 9
            assert other.join() != mockbaas.join()  # another seed, other ids

        @pytest.mark.mockbaas(no_such_field=1)
        def test_f_bad_field(mockbaas):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*no_such_field*Settings fields: host, port, seed*"])


FOLDER_CONFTEST = """
import pytest
from mockbaas.config import Settings

@pytest.fixture(scope="session")
def mockbaas_settings():
    return Settings(port=0, strict=True, seed=9, api_keys=["folder-key"])
"""


@pytest.mark.parametrize("order", [["sub", "test_root.py"], ["test_root.py", "sub"]])
def test_a_folder_overriding_the_settings_gets_its_own_server_in_any_order(pytester, order):
    pytester.mkdir("sub")
    pytester.path.joinpath("sub", "conftest.py").write_text(FOLDER_CONFTEST)
    pytester.path.joinpath("sub", "test_sub.py").write_text(
        "def test_sub(mockbaas):\n"
        "    assert mockbaas.api_key == 'folder-key'\n"
        "    assert mockbaas.server.settings.seed == 9\n"
        "    listed = mockbaas.request('GET', '/bots/bots_with_metadata', api_key='x')\n"
        "    assert listed.status == 401\n"
    )
    pytester.makepyfile(
        test_root="def test_root(mockbaas, mockbaas_settings):\n"
        "    assert mockbaas.api_key == 'test-key' and mockbaas_settings.seed == 0\n"
        "    assert mockbaas.server.settings is mockbaas_settings\n"
        "    listed = mockbaas.request('GET', '/bots/bots_with_metadata', api_key='x')\n"
        "    assert listed.status == 200\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", *order)
    result.assert_outcomes(passed=2)


def test_the_marker_is_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockbaas(**settings)*own mock server*"])
