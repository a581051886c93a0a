"""Steps of the maintenance-window runbook: the quietest window from a traffic history, freezes, the announcement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.config import Config
from opsready.config.maintenance import Freeze, MaintenancePolicy, check_freezes
from opsready.maintenance.window import WindowChoice, find_window, format_range
from opsready.traffic_history import TrafficHistory, load_history


@dataclass
class WindowSearch:
    """What the steps of one window-finder scenario hand to each other (per test)."""

    history: TrafficHistory | None = None
    policy: MaintenancePolicy | None = None
    choice: WindowChoice | None = None

    def policy_of(self, config: Config) -> MaintenancePolicy:
        """The scenario's policy: the freezes it states, and none of the suite's windows or freezes (they would blur
        what the scenario checks)."""
        if self.policy is None:
            return dataclasses.replace(config.maintenance, allowed_windows=(), freezes=())
        return self.policy

    @property
    def chosen(self) -> WindowChoice:
        """The window the finder chose."""
        assert self.choice is not None, "no window was searched"
        return self.choice


@pytest.fixture
def window_search() -> WindowSearch:
    """The scenario's traffic history, policy and chosen window."""
    return WindowSearch()


@given(parsers.parse('the traffic history "{path}"'))
def history(window_search: WindowSearch, opsready_config: Config, path: str) -> None:
    """A traffic history file (relative to the suite)."""
    window_search.history = load_history(opsready_config.resolve(Path(path)))


@given(parsers.parse('a change freeze "{name}" from "{start}" to "{end}"'))
def freeze(window_search: WindowSearch, opsready_config: Config, name: str, start: str, end: str) -> None:
    """A freeze over whole days, ``start`` to ``end`` inclusive."""
    policy = window_search.policy_of(opsready_config)
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    added = Freeze(
        name,
        dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC),
        dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1),
    )
    check_freezes((*policy.freezes, added))
    window_search.policy = dataclasses.replace(policy, freezes=(*policy.freezes, added))


@when(parsers.parse('a {hours:d} hour maintenance window is searched after "{after}"'))
def search(window_search: WindowSearch, opsready_config: Config, hours: int, after: str) -> None:
    """The window finder over the next two weeks."""
    found = window_search.history
    assert found is not None, "no traffic history given"
    start = dt.datetime.fromisoformat(after.replace("Z", "+00:00"))
    policy = window_search.policy_of(opsready_config)
    window_search.choice = find_window(found, hours * 3600.0, policy, start)


@then(parsers.parse('the window is "{text}"'))
def window_is(window_search: WindowSearch, text: str) -> None:
    """The window chosen, as people read it."""
    assert format_range(window_search.chosen.best) == text, window_search.chosen.explain()


@then(parsers.parse("users are expected to send about {requests:d} requests in it, under {percent:d}% of a day's"))
def impact(window_search: WindowSearch, requests: int, percent: int) -> None:
    """The expected user impact, from the history."""
    choice = window_search.chosen
    assert round(choice.best.expected_requests) == requests, choice.explain()
    assert choice.share_of_day < percent / 100, choice.explain()
    assert choice.busiest.expected_requests > 20 * choice.best.expected_requests, choice.explain()


@then(parsers.parse('start times in the freeze "{name}" were skipped'))
def freeze_skipped(window_search: WindowSearch, opsready_config: Config, name: str) -> None:
    """The explanation says the freeze kept the finder away."""
    choice = window_search.chosen
    skipped = dict(choice.skipped)
    assert skipped.get(f"change freeze '{name}'", 0) > 0, choice.explain()
    policy_freeze = next(f for f in window_search.policy_of(opsready_config).freezes if f.name == name)
    assert not policy_freeze.overlaps(choice.best.start, choice.best.end)


@then("the announcement names the window and the expected impact")
def announcement(window_search: WindowSearch, opsready_config: Config, tmp_path: Path) -> None:
    """The announcement notice is rendered with the real window and the expected requests."""
    from opsready.maintenance import comms

    choice = window_search.chosen
    templates = opsready_config.resolve(opsready_config.maintenance.templates_dir)
    values = comms.announcement_values(choice, "Database backup with verified restore", "database-backup", "sandbox")
    text = comms.write_notice(templates, tmp_path, "announcement", "drill", values).read_text(encoding="utf-8")
    assert choice.best.start.strftime("%Y-%m-%d %H:%M") in text, text
    assert f"about {choice.best.expected_requests:,.0f} requests" in text, text
    assert "n/a" not in text, text
