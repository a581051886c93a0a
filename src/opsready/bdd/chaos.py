"""Steps of the chaos drills (runbooks/chaos-faults.md): run an experiment, then check what it measured and left.

Experiments live in ``experiments/`` beside opsready.yaml. The run records injected, detected, reverted and recovered
on the scenario's timeline, so time to detect and time to recover go into the readiness report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from pytest_bdd import parsers, then, when

from opsready.config import Config
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

if TYPE_CHECKING:
    from opsready.chaos.runner import ExperimentResult


@pytest.fixture
def run_chaos_experiment(
    opsready_config: Config, target: Target, timeline: Timeline, pytestconfig: pytest.Config
) -> Callable[[str], ExperimentResult]:
    """Run experiments/<name>.yaml against the scenario's target, recording on its timeline."""
    from opsready.bdd.common import entry_point
    from opsready.chaos.runner import run_experiment

    def run(name: str) -> ExperimentResult:
        return run_experiment(
            opsready_config.root / "experiments" / f"{name}.yaml",
            opsready_config,
            target,
            timeline=timeline,
            allow_destructive=bool(pytestconfig.getoption("opsready_allow_destructive")),
            entry=entry_point(pytestconfig),
        )

    return run


@when(parsers.parse('the experiment "{name}" runs'), target_fixture="experiment_result")
def experiment_runs(run_chaos_experiment: Callable[[str], ExperimentResult], name: str) -> ExperimentResult:
    """Validate and run the experiment; every fault is reverted before the step ends, whatever happens. Its result
    is the ``experiment_result`` fixture of the steps after it."""
    from opsready.errors import OpsreadyError

    try:
        return run_chaos_experiment(name)
    except OpsreadyError as exc:
        pytest.fail(exc.render(), pytrace=False)


@then("the experiment completed without deviating")
def completed(experiment_result: ExperimentResult) -> None:
    """chaostoolkit's verdict: the steady state held before and after the method."""
    result = experiment_result
    assert not result.refused, result.refused  # a detection probe showed the fault before it was injected
    assert result.status == "completed" and not result.deviated, f"{result.status}, deviated={result.deviated}"


@then(parsers.parse("the fault was detected within {seconds} seconds"))
def detected_within(experiment_result: ExperimentResult, timeline: Timeline, seconds: str) -> None:
    """A probe failed after the injection, soon enough (measured on the timeline)."""
    limit = float(seconds)  # a string: Scenario Outlines write it as <detect>, filled in per example
    result = experiment_result
    assert result.detected, f"no probe noticed the fault (timeline: {timeline.kinds()})"
    measured = timeline.between("injected", "detected")
    assert measured is not None and measured <= limit, f"detected after {measured} s, limit {limit:g} s"


@then("every fault was reverted and verified")
def all_reverted(experiment_result: ExperimentResult) -> None:
    """Each injected fault has a revert verified by a probe."""
    result = experiment_result
    assert result.faults, "the experiment injected no fault: it proves nothing"
    for fault in result.faults:
        assert fault.reverted_by and not fault.error, f"{fault.name}: {fault.error or 'not reverted'}"
        assert ": ok" in fault.verified, f"{fault.name}: verification {fault.verified!r}"


@then(parsers.parse("steady state is restored within {seconds:d} seconds"))
def restored_within(experiment_result: ExperimentResult, timeline: Timeline, seconds: int) -> None:
    """From the verified revert to the steady state holding again (measured on the timeline)."""
    result = experiment_result
    assert result.recovered, f"the steady state was not restored (timeline: {timeline.kinds()})"
    measured = timeline.between("reverted", "recovered")
    assert measured is not None and measured <= seconds, f"restored after {measured} s, limit {seconds} s"


@then("no fault remains on the target")
def nothing_left(target: Target) -> None:
    """An independent sweep of the target (not the journal's word): no residue of any fault."""
    from opsready.targets.faults import faults_of

    left = [o.describe() for o in faults_of(target).fault_residue() if not o.ok]
    assert not left, "; ".join(left)


@then("the journals were written")
def journals_written(experiment_result: ExperimentResult) -> None:
    """The fault journal says every fault was reverted; chaostoolkit's journal is in the reports."""
    from opsready.chaos.readback import read_journal

    result = experiment_result
    assert result.fault_journal is not None and result.chaos_journal is not None
    view = read_journal(result.fault_journal)
    assert view.closed and not view.open_faults and not view.unreadable, view
    assert result.chaos_journal.is_file()
