"""The incident steps' webhook: posted nowhere unless asked, by ``--incident-webhook`` or the environment."""

from __future__ import annotations

import pytest

PROBE = """\
from opsready.bdd.incident import webhook_url

def test_where(pytestconfig):
    print("WEBHOOK=" + repr(webhook_url(pytestconfig)))
"""


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), None, "None"),
        ((), "http://127.0.0.1:9/env", "'http://127.0.0.1:9/env'"),
        (("--incident-webhook", "http://127.0.0.1:9/opt"), "http://127.0.0.1:9/env", "'http://127.0.0.1:9/opt'"),
        (("--incident-webhook", "http://127.0.0.1:9/opt"), None, "'http://127.0.0.1:9/opt'"),
    ],
)
def test_the_webhook_is_off_by_default_and_the_option_wins_over_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: str | None, expected: str
) -> None:
    """No option and no variable: None (nothing is posted); the option overrides $OPSREADY_INCIDENT_WEBHOOK."""
    if env is None:
        monkeypatch.delenv("OPSREADY_INCIDENT_WEBHOOK", raising=False)
    else:
        monkeypatch.setenv("OPSREADY_INCIDENT_WEBHOOK", env)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_where=PROBE)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*WEBHOOK={expected}*"])


def test_the_option_is_listed_in_help(pytester: pytest.Pytester) -> None:
    """``pytest --help`` shows it in the opsready group."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--incident-webhook=URL*"])
