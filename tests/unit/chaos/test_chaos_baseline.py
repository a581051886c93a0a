"""Detection with a baseline (opsready.chaos.baseline): relative thresholds are validated at their line, a fault
whose detection probe already shows it before the injection is refused with nothing injected or journaled, and a
relative detection judges the probe's value against the baseline.

The probes are real: ``memory_available`` reads this machine's /proc/meminfo through testinfra (the sandbox's host
is local), so the thresholds below are set where any machine's reading lands (100 % is never available)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.chaos import actions
from opsready.chaos.baseline import BaselineFailed, Change, Detection, check_baseline, detected
from opsready.chaos.experiment import load_experiment
from opsready.chaos.session import Session, activated
from opsready.config.suite import parse_config
from opsready.errors import Loc, ValidationError
from opsready.observation import Observation
from opsready.probes.registry import parse_probe_call
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.faults.catalog import kinds
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.timeline import Timeline
from opsready.yamlsrc import parse_yaml

KINDS = kinds(postgresql=True)
CONFIG = "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n"
# Line numbers matter: the tests below point at lines of this text.
RELATIVE = """\
title: a hog, detected against its baseline
controls:
  - name: opsready
    provider: {type: python, module: opsready.chaos.control}
method:
  - type: action
    name: hog
    provider:
      type: python
      module: opsready.chaos.actions
      func: inject
      arguments: {name: hog, kind: cpu-hog, params: {workers: 1}, time_limit: 30s}
  - type: probe
    name: noticed
    provider:
      type: python
      module: opsready.chaos.probes
      func: detect
      arguments: {probe: cpu_pressure, within: 2s, arguments: {window: 200ms}, rises_by: 30 points}
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return load_experiment(path, KINDS)


def test_a_detect_belongs_to_the_fault_injected_before_it(tmp_path: Path) -> None:
    """The detection carries its fault, probe and change."""
    experiment = _load(tmp_path, RELATIVE)
    (detection,) = experiment.detections  # type: ignore[attr-defined]
    assert (detection.fault, detection.probe.probe, detection.change) == (
        "hog",
        "cpu_pressure",
        Change("rises", 30, "points"),
    )
    assert detection.describe() == "cpu_pressure rises by 30 points" and detection.loc.line == 19


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("rises_by: 30 points", "rises_by: 30 percent", "is in percentage points, like '30 points', got '30 percent'"),
        ("rises_by: 30 points", "rises_by: 0 points", "'rises_by' must be more than 0 points"),
        ("rises_by: 30 points", "rises_by: 30 points, falls_by: 5", "give either 'rises_by' or 'falls_by', not both"),
        ("probe: cpu_pressure, within: 2s, arguments: {window: 200ms}", "probe: readiness", "measures no value"),
        (
            "probe: cpu_pressure, within: 2s, arguments: {window: 200ms}, rises_by: 30 points",
            "probe: latency, rises_by: soon",
            "bad duration 'soon'",
        ),
        ("within: 2s,", "within: 2s, streak: 0,", "'streak' must be at least 1"),
    ],
)
def test_relative_threshold_mistakes_are_reported_at_their_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """Each mistake is a path:line error before anything runs."""
    assert old in RELATIVE
    with pytest.raises(ValidationError) as caught:
        _load(tmp_path, RELATIVE.replace(old, new, 1))
    assert message in caught.value.message, caught.value.render()
    assert caught.value.loc is not None and caught.value.loc.line in (12, 19), caught.value.render()


def test_a_relative_detection_needs_a_fault_before_it(tmp_path: Path) -> None:
    """With no fault before it there is no baseline to compare with: refused at its line."""
    lines = RELATIVE.splitlines(keepends=True)
    text = "".join(lines[:5] + lines[12:] + lines[5:12])  # the detect first, the inject after it
    with pytest.raises(ValidationError, match="needs a fault injected before it in the method") as caught:
        _load(tmp_path, text)
    assert caught.value.loc is not None and caught.value.loc.line == 12


def _detection(probe: str, args: dict[str, object], change: Change | None) -> Detection:
    return Detection("hog", parse_probe_call(probe, args, Loc("t"), Loc("t")), change, Loc("t"))


def test_relative_judgement_against_the_baseline() -> None:
    """Detected when the value moved far enough from the baseline, whatever the probe's own verdict; a baseline
    without room, or without a value, is refused; an observation without a value detects nothing."""
    rise = _detection("cpu_pressure", {}, Change("rises", 30, "points"))
    base = Observation("cpu_pressure", False, 20.0, "%", "")  # the probe's own max does not matter
    assert check_baseline(rise, base) == ""
    assert not detected(rise, base, Observation("cpu_pressure", False, 49.0, "%", ""))
    assert detected(rise, base, Observation("cpu_pressure", True, 50.0, "%", ""))
    assert not detected(rise, None, Observation("cpu_pressure", False, 99.0, "%", ""))
    assert not detected(rise, base, Observation("cpu_pressure", False, None, "", "cannot read"))
    assert "leaves no room for the value to rises by 30 points" in check_baseline(
        rise, Observation("c", True, 85.0, "%", "")
    )
    assert "measured no value" in check_baseline(rise, Observation("c", False, None, "", "cannot read"))
    absolute = _detection("cpu_pressure", {}, None)
    assert check_baseline(absolute, Observation("c", True, 5.0, "%", "")) == ""
    assert "already fails before the fault" in check_baseline(absolute, Observation("c", False, 95.0, "%", "x"))


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """A session on a sandbox that was never started: a refused baseline must not need one."""
    config = parse_config(
        parse_yaml(CONFIG.format(state=tmp_path / "state"), "opsready.yaml"), tmp_path / "opsready.yaml"
    )
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto"))
    return Session(config, SandboxTarget("sandbox", sandbox), Timeline("t"), experiment="t", say=lambda m: None)


@pytest.mark.parametrize(
    ("args", "change", "why"),
    [
        ({"min": "100%"}, None, "its detection probe already fails before the fault"),  # never 100 % available
        ({}, Change("falls", 100, "points"), "leaves no room for the value to falls by 100 points"),
    ],
)
def test_a_fault_whose_detection_already_shows_it_is_not_injected(
    session: Session, args: dict[str, object], change: Change | None, why: str
) -> None:
    """The inject action observes the fault's detection probe first; when it already shows the fault the action
    refuses (BaselineFailed), the run is marked to stop, and no guard, journal or fault exists."""
    session.detections = (
        Detection("hog", parse_probe_call("memory_available", args, Loc("t"), Loc("t")), change, Loc("t")),
    )
    with activated(session), pytest.raises(BaselineFailed) as refused:
        actions.inject("memory-pressure", name="hog", params={"share": "0%"}, time_limit=30)
    assert why in refused.value.message and "nothing was injected" in refused.value.message
    assert session.halted == refused.value.message
    assert not session.started, "a guard (and a journal) was created for a fault that was refused"
    assert not (session.target.fault_journal_dir()).exists()  # type: ignore[attr-defined]


def test_a_passing_baseline_is_kept_for_its_detect(session: Session) -> None:
    """A baseline that allows the fault is recorded and found again by the detect call that follows."""
    probe = parse_probe_call("memory_available", {}, Loc("t"), Loc("t"))
    session.detections = (Detection("hog", probe, Change("falls", 5, "points"), Loc("t")),)
    session.take_baselines("hog")
    found, baseline = session.detection_of(
        parse_probe_call("memory_available", None, Loc("x"), Loc("x")), Change("falls", 5, "points")
    )
    assert found is session.detections[0] and baseline is not None and baseline.value is not None
    assert session.detection_of(probe, Change("falls", 6, "points")) == (None, None)
    assert session.halted == ""
