"""``opsready plan EXPERIMENT``: what an experiment would inject where, and how each fault is undone. Injects nothing.

The plan is built from the validated experiment and the target's own description of each fault (read-only).
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.chaos.experiment import Experiment
from opsready.durations import format_duration
from opsready.targets.faults import FaultInjectable
from opsready.targets.protocol import Target


@dataclass(frozen=True)
class PlanStep:
    """One line of a plan."""

    phase: str
    number: int
    text: str


@dataclass(frozen=True)
class Plan:
    """An experiment's plan against one target."""

    title: str
    path: str
    target: str
    steps: tuple[PlanStep, ...]
    faults: int

    def lines(self) -> list[str]:
        """The plan as text."""
        out = [f"experiment: {self.title} ({self.path})", f"target: {self.target}"]
        phase = ""
        for step in self.steps:
            if step.phase != phase:
                phase = step.phase
                out.append(f"{phase}:")
            out.append(f"  {step.number}. {step.text}")
        out.append(f"{self.faults} fault(s) would be injected; this plan injected nothing.")
        return out


def make_plan(experiment: Experiment, target: Target, faults: FaultInjectable) -> Plan:
    """Describe every step; faults are described by the target (nothing is injected or changed)."""
    steps = []
    numbers: dict[str, int] = {}
    for step in experiment.steps:
        numbers[step.phase] = numbers.get(step.phase, 0) + 1
        fault = step.fault
        if fault is not None:
            description = faults.fault(fault.spec, f"plan-{fault.name}").describe()
            text = (
                f"inject '{fault.name}' ({fault.spec.kind}): {description}; reverted by the dead-man watchdog "
                f"{format_duration(fault.spec.time_limit)} after injection at the latest"
            )
        else:
            text = f"{step.type} '{step.name}' ({step.provider})"
        label = {"hypothesis": "steady-state hypothesis"}.get(step.phase, step.phase)
        steps.append(PlanStep(label, numbers[step.phase], text))
    return Plan(
        title=experiment.title,
        path=str(experiment.path),
        target=f"{target.name} ({target.platform})",
        steps=tuple(steps),
        faults=len(experiment.faults),
    )
