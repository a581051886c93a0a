"""Game-day plans: the shipped plan reads, and every mistake is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.gameday.plan import Catalogue, load_plan

REPO = Path(__file__).resolve().parents[3]
KNOWN = Catalogue(
    experiments=frozenset({"api-stopped", "db-outage", "worker-stopped", "edge-latency", "api-paused"}),
    runbooks={
        "incident-service-down": ("api-stopped", "api-paused"),
        "incident-database-unavailable": ("db-outage",),
        "incident-feature-not-working": ("worker-stopped",),
        "incident-network-degradation": ("edge-latency",),
    },
    severities=("critical", "high", "medium", "low"),
    targets=("sandbox",),
)
GOOD = """title: t
date: 2026-12-03
target: sandbox
roles:
  incident_commander: A
  scribe: B
  responders: [C]
scenarios:
  - experiment: api-stopped
    runbook: incident-service-down
    severity: critical
    time_box: 2 minutes
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_plan_has_four_scenarios_in_order() -> None:
    """gamedays/q4-2026.yaml validates against the repository's names."""
    plan = load_plan(REPO / "gamedays" / "q4-2026.yaml", KNOWN)
    assert len(plan.scenarios) >= 4
    assert [s.experiment for s in plan.scenarios][:2] == ["api-stopped", "db-outage"]
    assert plan.roles.scribe and plan.roles.responders
    assert all(0 < s.time_box <= 300 for s in plan.scenarios)


def test_defaults(tmp_path: Path) -> None:
    """A scenario is named after its experiment, and the load has a bounded default."""
    plan = load_plan(_write(tmp_path, GOOD), KNOWN)
    assert plan.scenarios[0].name == "api-stopped"
    assert plan.scenarios[0].time_box == 120.0
    assert plan.load.max_duration == 600.0
    assert plan.date == "2026-12-03"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("experiment: api-stopped", "experiment: api-stoped", 9, "unknown experiment 'api-stoped' (did you mean"),
        ("runbook: incident-service-down", "runbook: incident-down", 10, "unknown incident runbook"),
        ("experiment: api-stopped", "experiment: db-outage", 9, "runbook 'incident-service-down' is rehearsed by"),
        ("severity: critical", "severity: urgent", 11, "'severity' must be one of"),
        ("time_box: 2 minutes", "time_box: soon", 12, "bad duration 'soon'"),
        ("time_box: 2 minutes", "time_box: 0s", 12, "'time_box' must be positive"),
        ("  scribe: B", "  scribe: B\n  chef: D", 7, "unknown role 'chef'"),
        ("target: sandbox", "target: prod", 3, "unknown target 'prod'"),
        ("date: 2026-12-03", "date: soon", 2, "'date' must be a date"),
        ("  responders: [C]", "  responders: []", 7, "at least one person"),
        ("    time_box: 2 minutes", "    time_box: 2 minutes\n    checkpoint: x", 13, "unknown key 'checkpoint'"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    """Unknown names, bad durations and unknown roles name the file and line."""
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ValidationError) as info:
        load_plan(path, KNOWN)
    assert info.value.loc is not None
    assert (info.value.loc.path, info.value.loc.line) == (str(path), line), info.value.render()
    assert message in info.value.message


def test_the_load_may_name_the_paths_of_a_service_of_ones_own(tmp_path: Path) -> None:
    """`load.paths` replaces the orders journey (a fleet's own service); each must be a path, else its line."""
    text = GOOD.replace("scenarios:", "load:\n  paths: ['/', '/work?ms=5']\nscenarios:")
    assert load_plan(_write(tmp_path, text), KNOWN).load.paths == ("/", "/work?ms=5")
    assert load_plan(_write(tmp_path, GOOD), KNOWN).load.paths == ()
    path = _write(tmp_path, text.replace("['/', '/work?ms=5']", "[products]"))
    with pytest.raises(ValidationError) as info:
        load_plan(path, KNOWN)
    assert info.value.loc is not None and info.value.loc.line == 9
    assert "each of 'paths' must start with '/', got 'products'" in info.value.message


def test_duplicate_scenario_names_are_refused(tmp_path: Path) -> None:
    """Two scenarios with one name would be indistinguishable in the report."""
    extra = GOOD.split("scenarios:\n")[1]
    path = _write(tmp_path, GOOD + extra)
    with pytest.raises(ValidationError, match="two scenarios are named 'api-stopped'"):
        load_plan(path, KNOWN)


def test_a_severity_outside_the_severity_table_is_refused_even_without_a_classification(tmp_path: Path) -> None:
    """Severities are a closed vocabulary: a catalogue that lists none still only accepts the four of the table."""
    known = Catalogue(experiments=KNOWN.experiments, runbooks=KNOWN.runbooks, targets=KNOWN.targets)
    assert load_plan(_write(tmp_path, GOOD), known).scenarios[0].severity == "critical"
    with pytest.raises(ValidationError) as info:
        load_plan(_write(tmp_path, GOOD.replace("severity: critical", "severity: urgent")), known)
    assert "'severity' must be one of critical, high, medium, low" in str(info.value)
