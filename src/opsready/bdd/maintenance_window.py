"""Steps of the maintenance-window runbook: the quietest window from a traffic history, freezes, the announcement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from pytest_bdd import given, parsers, then, when

from opsready.bdd.common import Drill
from opsready.config import Config
from opsready.config.maintenance import Freeze, MaintenancePolicy, check_freezes
from opsready.maintenance.window import WindowChoice, find_window, format_range
from opsready.traffic_history import TrafficHistory, load_history


def _policy(drill: Drill, config: Config) -> MaintenancePolicy:
    policy = drill.facts.get("policy")
    if policy is None:  # the scenario states its own freezes; the suite's windows and freezes would blur it
        policy = dataclasses.replace(config.maintenance, allowed_windows=(), freezes=())
    assert isinstance(policy, MaintenancePolicy)
    return policy


def _choice(drill: Drill) -> WindowChoice:
    choice = drill.facts.get("window")
    assert isinstance(choice, WindowChoice), "no window was searched"
    return choice


@given(parsers.parse('the traffic history "{path}"'))
def history(drill: Drill, opsready_config: Config, path: str) -> None:
    """A traffic history file (relative to the suite)."""
    drill.facts["history"] = load_history(opsready_config.resolve(Path(path)))


@given(parsers.parse('a change freeze "{name}" from "{start}" to "{end}"'))
def freeze(drill: Drill, opsready_config: Config, name: str, start: str, end: str) -> None:
    """A freeze over whole days, ``start`` to ``end`` inclusive."""
    policy = _policy(drill, opsready_config)
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    added = Freeze(
        name,
        dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC),
        dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1),
    )
    check_freezes((*policy.freezes, added))
    drill.facts["policy"] = dataclasses.replace(policy, freezes=(*policy.freezes, added))


@when(parsers.parse('a {hours:d} hour maintenance window is searched after "{after}"'))
def search(drill: Drill, opsready_config: Config, hours: int, after: str) -> None:
    """The window finder over the next two weeks."""
    found = drill.facts.get("history")
    assert isinstance(found, TrafficHistory), "no traffic history given"
    start = dt.datetime.fromisoformat(after.replace("Z", "+00:00"))
    drill.facts["window"] = find_window(found, hours * 3600.0, _policy(drill, opsready_config), start)


@then(parsers.parse('the window is "{text}"'))
def window_is(drill: Drill, text: str) -> None:
    """The window chosen, as people read it."""
    assert format_range(_choice(drill).best) == text, _choice(drill).explain()


@then(parsers.parse("users are expected to send about {requests:d} requests in it, under {percent:d}% of a day's"))
def impact(drill: Drill, requests: int, percent: int) -> None:
    """The expected user impact, from the history."""
    choice = _choice(drill)
    assert round(choice.best.expected_requests) == requests, choice.explain()
    assert choice.share_of_day < percent / 100, choice.explain()
    assert choice.busiest.expected_requests > 20 * choice.best.expected_requests, choice.explain()


@then(parsers.parse('start times in the freeze "{name}" were skipped'))
def freeze_skipped(drill: Drill, name: str) -> None:
    """The explanation says the freeze kept the finder away."""
    choice = _choice(drill)
    skipped = dict(choice.skipped)
    assert skipped.get(f"change freeze '{name}'", 0) > 0, choice.explain()
    policy_freeze = next(f for f in drill.facts["policy"].freezes if f.name == name)  # type: ignore[attr-defined]
    assert not policy_freeze.overlaps(choice.best.start, choice.best.end)


@then("the announcement names the window and the expected impact")
def announcement(drill: Drill, opsready_config: Config, tmp_path: Path) -> None:
    """The announcement notice is rendered with the real window and the expected requests."""
    from opsready.maintenance import comms

    choice = _choice(drill)
    templates = opsready_config.resolve(opsready_config.maintenance.templates_dir)
    values = comms.announcement_values(choice, "Database backup with verified restore", "database-backup", "sandbox")
    text = comms.write_notice(templates, tmp_path, "announcement", "drill", values).read_text(encoding="utf-8")
    assert choice.best.start.strftime("%Y-%m-%d %H:%M") in text, text
    assert f"about {choice.best.expected_requests:,.0f} requests" in text, text
    assert "n/a" not in text, text
