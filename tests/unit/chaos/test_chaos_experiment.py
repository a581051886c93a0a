"""Experiments are validated completely before the first fault, and every mistake is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.chaos.experiment import load_experiment, validate_experiment
from opsready.errors import ValidationError
from opsready.sandbox.faults.catalog import kinds

KINDS = kinds(postgresql=True)
EXPERIMENTS = Path(__file__).resolve().parents[3] / "experiments"

# Line numbers matter: the tests below point at lines of this text.
GOOD = """\
title: stop the worker
controls:
  - name: opsready
    provider: {type: python, module: opsready.chaos.control}
steady-state-hypothesis:
  title: ready
  probes:
    - type: probe
      name: ready
      tolerance: true
      provider: {type: python, module: opsready.chaos.probes, func: readiness, arguments: {timeout: 1s}}
method:
  - type: action
    name: stop-worker
    provider:
      type: python
      module: opsready.chaos.actions
      func: inject
      arguments: {name: worker, kind: process-stop, params: {service: worker}, time_limit: 30s}
  - type: probe
    name: noticed
    provider: {type: python, module: opsready.chaos.probes, func: detect, arguments: {probe: backlog, within: 20s}}
  - type: action
    name: start-worker
    provider: {type: python, module: opsready.chaos.actions, func: revert, arguments: {name: worker}}
rollbacks:
  - type: action
    name: all
    provider: {type: python, module: opsready.chaos.actions, func: revert_all}
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return load_experiment(path, KINDS)


def _error(tmp_path: Path, text: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _load(tmp_path, text)
    return caught.value


def test_a_good_experiment_yields_its_faults_and_hypothesis(tmp_path: Path) -> None:
    """The fault spec is validated and typed; the hypothesis' opsready probes are kept for the steady state."""
    experiment = _load(tmp_path, GOOD)
    (fault,) = experiment.faults  # type: ignore[attr-defined]
    assert (fault.name, fault.spec.kind, fault.spec.params, fault.spec.time_limit) == (
        "worker",
        "process-stop",
        (("service", "worker"),),
        30.0,
    )
    assert [c.probe for c in experiment.hypothesis] == ["readiness"]  # type: ignore[attr-defined]
    assert [s.name for s in experiment.steps] == ["ready", "stop-worker", "noticed", "start-worker", "all"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("title: stop the worker", "titel: x", 1, "unknown key 'titel' (did you mean 'title'?)"),
        ("kind: process-stop", "kind: process-stopp", 19, "unknown fault kind 'process-stopp'"),
        ("{service: worker}", "{service: wroker}", 19, "'service' must be one of api, worker"),
        ("{service: worker}", "{service: worker, signal: 9}", 19, "unknown key 'signal'"),
        ("time_limit: 30s", "time_limit: 3 hours", 19, "time_limit must be between 1 s and 3600 s"),
        ("time_limit: 30s", "time_limit: 30 sekonds", 19, "unknown unit 'sekonds'"),
        ("func: inject", "func: injekt", 18, "has no activity 'injekt' (did you mean 'inject'?)"),
        ("func: detect, arguments: {probe: backlog", "func: detect, arguments: {probe: backlogg", 22, "unknown probe"),
        ("arguments: {timeout: 1s}", "arguments: {timeout: 1s, retries: 2}", 11, "unknown key 'retries'"),
        ("arguments: {name: worker}}", "arguments: {name: wroker}}", 25, "revert names fault 'wroker'"),
        ("      tolerance: true\n", "", 8, "needs a 'tolerance'"),
        ("    name: stop-worker\n", "", 13, "missing required key 'name'"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    """Each mistake: its message, at the line where it was written."""
    assert old in GOOD
    error = _error(tmp_path, GOOD.replace(old, new, 1))
    assert message in error.message, error.render()
    assert error.loc is not None and error.loc.line == line, error.render()


def test_an_experiment_with_faults_must_declare_the_control(tmp_path: Path) -> None:
    """Without the opsready control, plain `chaos run` could leave a fault after Ctrl-C: refused."""
    text = GOOD.replace(
        "controls:\n  - name: opsready\n    provider: {type: python, module: opsready.chaos.control}\n", ""
    )
    assert "must declare the opsready control" in _error(tmp_path, text).message


def test_bad_yaml_and_foreign_activities(tmp_path: Path) -> None:
    """A YAML syntax error, an unknown module and arguments that do not fit a function are all path:line errors."""
    assert _error(tmp_path, GOOD + "  - [unclosed\n").loc.line == 30  # type: ignore[union-attr]
    foreign = GOOD.replace("module: opsready.chaos.actions, func: revert_all", "module: json, func: loads")
    assert "arguments do not fit json.loads" in _error(tmp_path, foreign).message
    missing = GOOD.replace("module: opsready.chaos.actions, func: revert_all", "module: no_such_mod, func: f")
    error = _error(tmp_path, missing)
    assert "cannot import module 'no_such_mod'" in error.message and error.loc.line == 29  # type: ignore[union-attr]


def test_plain_dicts_validate_too() -> None:
    """What chaostoolkit hands the control (no line numbers) is checked the same way."""
    data = {"title": "t", "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]}
    assert validate_experiment(data, Path("experiment 't'"), KINDS).faults == ()


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_experiments_validate(path: Path) -> None:
    """Every experiment in experiments/ injects at least one fault and declares detection and recovery."""
    experiment = load_experiment(path, KINDS)
    assert experiment.faults, path
    funcs = {s.provider.rsplit(":", 1)[-1] for s in experiment.steps}
    assert {"inject", "detect", "revert", "await_steady_state", "revert_all"} <= funcs, funcs


def test_one_experiment_per_fault_kind() -> None:
    """The shipped experiments cover every kind the sandbox offers."""
    covered = {f.spec.kind for p in EXPERIMENTS.glob("*.yaml") for f in load_experiment(p, KINDS).faults}
    assert covered == {k.name for k in KINDS}
