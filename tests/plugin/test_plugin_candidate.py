"""The release-candidate gate as pytest options: --drills-only alone is a usage error, and without --candidate the
candidate's scenarios skip with the reason, touching no target."""

from __future__ import annotations

import pytest

TEST = """\
def test_needs_the_candidate(candidate):
    raise AssertionError("must not run without --candidate")
"""


def test_drills_only_needs_a_candidate(pytester: pytest.Pytester) -> None:
    """Refused before anything runs, as a pytest usage error."""
    pytester.makepyfile(test_c=TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--drills-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--drills-only needs --candidate VERSION*"])


def test_without_a_candidate_the_candidate_scenarios_skip_and_say_why(pytester: pytest.Pytester) -> None:
    """No configuration, no target needed: the plan is None and the scenario skips with the way to run it."""
    pytester.makepyfile(test_c=TEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*not a release-candidate run: give --candidate VERSION*"])


def test_the_options_and_markers_are_documented(pytester: pytest.Pytester) -> None:
    """--candidate and --drills-only in the opsready group; the candidate and neutral markers registered."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--candidate=VERSION" in help_text and "--drills-only" in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.candidate:" in markers and "@pytest.mark.neutral:" in markers
