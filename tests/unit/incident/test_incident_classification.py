"""The classification file and the classifier: the story's severities, criteria over the shared probes, the most
severe match wins with its evidence, and every mistake in the file is reported at its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.incident.classification import Classification, load_classification
from opsready.incident.monitor import worst
from opsready.incident.triage import UNOBSERVABLE, classify, observe
from opsready.observation import Observation
from tests.unit.incident.incident_helpers import obs


@pytest.fixture
def shipped(root: Path) -> Classification:
    return load_classification(root / "runbooks" / "incident-classification.yaml")


def healthy() -> list[Observation]:
    return [
        obs("readiness", True, 200),
        obs("error_rate", True, 0.0, "%"),
        obs("response_time", True, 40.0, " ms"),
        obs("latency", True, 20.0, " ms"),
        obs("backlog", True, 0.8, " s"),
        obs("disk", True, 23.0, "%"),
        obs("direct_liveness", True, 3.0, " ms"),
    ]


def test_shipped_file_has_the_story_severities(shipped: Classification) -> None:
    """Descriptions, response times and escalation exactly as the operations story's table."""
    table = {s.name: (s.description, s.response_time, s.escalation) for s in shipped.severities}
    assert table == {
        "critical": ("System completely unavailable", 900.0, 0.0),
        "high": ("Major functionality impaired", 3600.0, 7200.0),
        "medium": ("Minor functionality affected", 14400.0, 28800.0),
        "low": ("Cosmetic or minor issues", 86400.0, 172800.0),
    }
    assert shipped.monitor.interval == 1.0
    assert shipped.slow_after() == 0.3


def test_healthy_observations_are_no_incident(shipped: Classification) -> None:
    """Nothing matches a healthy round."""
    verdict = classify(shipped, healthy())
    assert verdict.severity is None and not verdict.matched
    assert verdict.summary() == "no incident: no criterion matched"


@pytest.mark.parametrize(
    ("changed", "severity", "criterion"),
    [
        (obs("readiness", False, None), "critical", "service-unready"),
        (obs("direct_liveness", False, "timeout"), "critical", "service-hangs"),
        (obs("error_rate", True, 12.0, "%"), "high", "order-errors"),
        (obs("error_rate", True, 2.0, "%"), "low", "error-trickle"),
        (obs("error_rate", True, 5.0, "%"), "low", "error-trickle"),  # 5% is up_to, inclusive
        (obs("response_time", False, 1050.0, " ms"), "high", "pages-crawl"),
        (obs("response_time", False, 650.0, " ms"), "medium", "slow-pages"),
        (obs("latency", False, 420.0, " ms"), "medium", "slow-service"),
        (obs("backlog", False, 4.5, " s"), "medium", "orders-not-fulfilled"),
        (obs("disk", False, 97.0, "%"), "medium", "disk-nearly-full"),
        (obs("disk", True, 90.0, "%"), "low", "disk-filling"),
    ],
)
def test_one_signal_decides_its_severity(
    shipped: Classification, changed: Observation, severity: str, criterion: str
) -> None:
    """Each band of each probe lands in exactly one severity, named as evidence."""
    round_ = [o for o in healthy() if o.probe != changed.probe] + [changed]
    verdict = classify(shipped, round_)
    assert verdict.severity == severity
    assert [e.criterion.name for e in verdict.deciding] == [criterion]
    assert changed.probe in verdict.deciding[0].describe()


def test_the_most_severe_match_wins_and_all_matches_are_kept(shipped: Classification) -> None:
    """A database outage fails readiness and order requests: critical decides, high is still evidence."""
    round_ = [obs("readiness", False, 503), obs("error_rate", True, 40.0, "%"), obs("backlog", False, None)]
    verdict = classify(shipped, round_)
    assert verdict.severity == "critical"
    assert [e.severity for e in verdict.matched] == ["critical", "high"]
    assert verdict.summary() == "critical: readiness failing"


def test_an_observation_without_a_value_matches_no_range(shipped: Classification) -> None:
    """Metrics that could not be scraped say nothing about the error rate."""
    verdict = classify(shipped, [obs("error_rate", False, None), obs("backlog", False, None)])
    assert verdict.severity is None


def test_detection_time_is_the_earliest_deciding_observation(shipped: Classification) -> None:
    """When the monitor noticed: the deciding observation, not the slowest probe of the round."""
    verdict = classify(shipped, [obs("readiness", False, None, at=10.4), obs("latency", True, 1.0, at=11.2)], 10.0)
    assert verdict.noticed == 10.4 and verdict.finished == 11.2


def test_worst_verdict_of_several_rounds(shipped: Classification) -> None:
    """A window that began before the fault understates it: the worst round classifies."""
    low = classify(shipped, [obs("error_rate", True, 3.0, "%")])
    high = classify(shipped, [obs("error_rate", True, 13.0, "%")])
    assert worst((low, high)).severity == "high"
    assert worst((classify(shipped, []),)).severity is None


def test_lower_is_worse_probes_use_below(tmp_path: Path, shipped: Classification) -> None:
    """memory_available gets worse as it falls: 'below' draws its range."""
    text = (shipped.path.read_text()).replace(
        "      - name: disk-filling\n",
        "      - name: memory-low\n        probe: memory_available\n        below: 10%\n      - name: disk-filling\n",
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    model = load_classification(path)
    assert classify(model, [obs("memory_available", False, 5.0, "%")]).severity == "low"
    assert classify(model, [obs("memory_available", True, 50.0, "%")]).severity is None


CASES = [
    # (replace this, with that, a unique part of the line the error must point at, message fragment)
    ("  low:\n", "  lowish:\n", "lowish:", "unknown severity 'lowish'"),
    ('    response_time: "1 hour"\n', "", 'description: "Major functionality impaired"', "missing required key"),
    ('response_time: "4 hours"', 'response_time: "4 hourz"', "4 hourz", "unknown unit 'hourz'"),
    ('escalation: "2 hours"', 'escalation: "soon"', "soon", "or 'immediate'"),
    ("probe: readiness", "probe: readyness", "readyness", "did you mean 'readiness'"),
    ("above: 5%\n", "above: 5\n", "above: 5\n", "a bare ratio must be between 0 and 1"),
    ("        above: 3 seconds\n", "", "- name: orders-not-fulfilled", "needs a threshold"),
    ("        failing: true\n", "        failing: true\n        above: 1s\n", "above: 1s", "only passes or fails"),
    ("        above: 0.5%\n", "        above: 0.5%\n        abvoe: 1%\n", "abvoe", "did you mean 'above'"),
    ("        up_to: 95%\n", "        up_to: 80%\n", "up_to: 80%", "matches no value"),
    ("        up_to: 800ms\n", "        up_to: 900ms\n", "- name: slow-pages", "overlaps"),
    ("        probe: error_rate\n", "        probe: error_rate\n        below: 1%\n", "below: 1%", "use 'above'"),
    ('    response_time: "24 hours"', '    response_time: "2 hours"', 'description: "Cosmetic', "faster response"),
    (
        "    criteria:\n      - name: error-trickle",
        "    criteria: []\n    old:\n      - name: error-trickle",
        "criteria: []",
        "no criteria",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[3] for c in CASES])
def test_bad_classification_is_reported_at_its_line(
    tmp_path: Path, root: Path, case: tuple[str, str, str, str]
) -> None:
    """Each mistake names the file and the line it is on."""
    old, new, where, message = case
    text = (root / "runbooks" / "incident-classification.yaml").read_text()
    assert old in text, old
    broken = text.replace(old, new, 1)
    path = tmp_path / "incident-classification.yaml"
    path.write_text(broken)
    with pytest.raises(ValidationError) as caught:
        load_classification(path)
    assert broken.count(where) >= 1, where
    expected = broken[: broken.index(where)].count("\n") + 1
    assert caught.value.loc is not None and caught.value.loc.path == str(path)
    assert message in caught.value.message, caught.value.message
    assert caught.value.loc.line == expected, (caught.value.loc.line, expected, caught.value.message)


def test_criteria_on_one_probe_share_arguments(tmp_path: Path, root: Path) -> None:
    """Two criteria on latency with different windows could disagree about one moment: refused."""
    text = (root / "runbooks" / "incident-classification.yaml").read_text()
    text = text.replace(
        "      - name: disk-filling\n",
        textwrap.indent(
            "- name: latency-blip\n  probe: latency\n  args: {window: 2 seconds}\n  above: 100ms\n  up_to: 300ms\n",
            "      ",
        )
        + "      - name: disk-filling\n",
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError, match="must use the same 'args'") as caught:
        load_classification(path)
    assert caught.value.loc is not None
    assert text.splitlines()[caught.value.loc.line - 1].strip() == "- name: latency-blip"


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    """Broken YAML is a path:line error, not a traceback."""
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nincident_severity:\n  critical: [\n")
    with pytest.raises(ValidationError, match="invalid YAML") as caught:
        load_classification(path)
    assert caught.value.loc is not None and caught.value.loc.line == 3


class _NoDirectPath:
    """A target whose platform offers no troubleshooting diagnostics (no direct port), like Kubernetes here."""

    platform = "elsewhere"
    base_url = "http://127.0.0.1:9"


def test_a_probe_the_platform_cannot_make_is_unobservable_and_matches_nothing(shipped: Classification) -> None:
    """direct_liveness needs the service's own port: without one the observation says so and decides nothing."""
    call = next(c for c in shipped.probes if c.probe == "direct_liveness")
    (observation,) = observe(_NoDirectPath(), (call,))  # type: ignore[arg-type]
    assert observation.ok and observation.value == UNOBSERVABLE
    assert "not observable on this target" in observation.detail
    round_ = [o for o in healthy() if o.probe != "direct_liveness"] + [observation]
    assert classify(shipped, round_).severity is None


def test_shipped_severities_hold_alerts_and_pages_to_targets(shipped: Classification) -> None:
    """Every severity says how soon its alert must fire and its page arrive, the page never before the alert."""
    targets = {s.name: (s.targets.alert_within, s.targets.page_within) for s in shipped.severities}
    assert targets == {
        "critical": (120.0, 180.0),
        "high": (300.0, 600.0),
        "medium": (900.0, 1800.0),
        "low": (3600.0, 14400.0),
    }


def test_a_page_due_before_its_alert_is_refused_at_its_line(tmp_path: Path, shipped: Classification) -> None:
    """page_within shorter than alert_within: a ValidationError at the page_within line."""
    text = shipped.path.read_text().replace("page_within: 10 minutes", "page_within: 1 minute")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError) as caught:
        load_classification(path)
    assert caught.value.loc is not None
    assert "page_within: 1 minute" in (caught.value.loc.source_line() or "")
    assert "page_within must not be shorter than alert_within" in caught.value.message
