"""The release link is checked against the release history, never against the link itself."""

from __future__ import annotations

from opsready.bdd.hoststate import link_problem
from opsready.targets.protocol import ReleaseRecord

HISTORY = (
    ReleaseRecord("1.0.0", None, "deploy", "2026-12-01T10:00:00.000Z", "initial release"),
    ReleaseRecord("1.1.0", "1.0.0", "deploy", "2026-12-01T11:00:00.000Z"),
)


def test_a_link_at_the_release_the_history_says_is_current_passes() -> None:
    """The link resolves to the history's latest release: no problem."""
    assert link_problem("/s/current", "/s/releases/1.1.0", HISTORY) is None


def test_a_link_switched_behind_the_historys_back_fails() -> None:
    """The link points at an installed release the history does not call current: named, with both sides."""
    problem = link_problem("/s/current", "/s/releases/1.0.0", HISTORY)
    assert problem == (
        "/s/current -> /s/releases/1.0.0, but the release history says 1.1.0 is current (2026-12-01T11:00:00.000Z)"
    )


def test_a_rollback_makes_the_earlier_release_current() -> None:
    """The latest record wins, whatever its kind: after a rollback the earlier release is the current one."""
    rolled_back = (*HISTORY, ReleaseRecord("1.0.0", "1.1.0", "rollback", "2026-12-01T12:00:00.000Z"))
    assert link_problem("/s/current", "/s/releases/1.0.0", rolled_back) is None
    assert link_problem("/s/current", "/s/releases/1.1.0", rolled_back) is not None


def test_no_history_is_no_evidence() -> None:
    """Without a history nothing says where the link should point: the check fails rather than trust the link."""
    assert "history is empty" in str(link_problem("/s/current", "/s/releases/1.0.0", ()))


def test_a_release_whose_name_ends_another_is_not_confused() -> None:
    """releases/11.1.0 is not releases/1.1.0."""
    assert link_problem("/s/current", "/s/releases/11.1.0", HISTORY) is not None
