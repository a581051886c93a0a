"""The runbook coverage matrix: for each runbook step, the scenarios of this run that verify it (or none).

A scenario names the steps it verifies with Gherkin tags ``@runbook:<id>:<step>``; a plain ``@runbook:<id>`` links it
to the runbook as a whole, which the matrix shows beside the steps but never counts as verifying a step.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.results import RunbookInfo, RunbookStep, RunResult, ScenarioResult


@dataclass(frozen=True)
class StepCoverage:
    """One runbook step and the scenarios that verify it."""

    step: RunbookStep
    scenarios: tuple[ScenarioResult, ...]

    @property
    def verified(self) -> bool:
        """Whether a scenario of this run passed while verifying the step."""
        return any(s.outcome == "passed" for s in self.scenarios)


@dataclass(frozen=True)
class RunbookCoverage:
    """A runbook's steps with their scenarios, and the scenarios linked to the runbook as a whole."""

    runbook: RunbookInfo
    steps: tuple[StepCoverage, ...]
    linked: tuple[ScenarioResult, ...]
    unknown_steps: tuple[int, ...] = ()  # step tags naming no step of the runbook (the linter reports them too)

    @property
    def verified(self) -> int:
        """How many steps a passing scenario verified."""
        return sum(1 for s in self.steps if s.verified)


def coverage(result: RunResult) -> tuple[RunbookCoverage, ...]:
    """The matrix of every runbook the run knows, in the order given (runbooks the run only names come last)."""
    known = {r.id for r in result.runbooks}
    named = dict.fromkeys(rid for s in result.scenarios for rid in s.runbooks if rid not in known)
    runbooks = result.runbooks + tuple(RunbookInfo(rid, f"{rid} (no such runbook)", None) for rid in named)
    found = []
    for runbook in runbooks:
        numbers = {step.number for step in runbook.steps}
        steps = tuple(
            StepCoverage(
                step,
                tuple(
                    s
                    for s in result.scenarios
                    if any(r.runbook == runbook.id and r.step == step.number for r in s.runbook_steps)
                ),
            )
            for step in runbook.steps
        )
        linked = tuple(s for s in result.scenarios if runbook.id in s.runbooks)
        unknown = sorted(
            {r.step for s in result.scenarios for r in s.runbook_steps if r.runbook == runbook.id} - numbers
        )
        found.append(RunbookCoverage(runbook, steps, linked, tuple(unknown)))
    return tuple(found)
