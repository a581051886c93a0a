"""An incident rehearsal: the incident package's drill, with its fault injected through :class:`DrillFaults`.

The game day plays rehearsals back to back; the incident-response steps play one per scenario, stage by stage.
Also here: the checks of incident runbooks that need both the incident files and the runbook parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from opsready.drills.faults import DrillFaults
from opsready.drills.plan import PlannedDrill
from opsready.errors import UserError, ValidationError
from opsready.incident.alerting import DrillAlerting, plan_alerting
from opsready.incident.comms import Communicator
from opsready.incident.drill import Drill, DrillResult
from opsready.incident.files import Checked, IncidentFiles
from opsready.incident.responder import Responder
from opsready.incident.review import write_review
from opsready.monitoring.silence_journal import journal_dir
from opsready.runbooks.parse import read_runbook
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic


@dataclass(frozen=True)
class Rehearsed:
    """What one finished rehearsal measured, and the review draft written from it."""

    result: DrillResult
    review: Path


@dataclass(frozen=True)
class Rehearsal:
    """One incident drill whose fault goes through the drill's chaos guard."""

    planned: PlannedDrill
    drill: Drill
    faults: DrillFaults
    files: IncidentFiles

    def inject(self) -> None:
        """Inject the experiment's fault (journaled first, reverted whatever happens) and mark the timeline. With
        monitoring the fault's time limit (its dead-man bound) covers the alert's wait and page: a production rule
        (``for: 1m``) never pages an outage that ends first, and a drill must not end it first."""
        fault = self.planned.fault
        spec = fault.spec
        hold = self.drill.alert_hold()
        if hold is not None and spec.time_limit < hold:
            spec = replace(spec, time_limit=hold)
        self.drill.inject(lambda: self.faults.inject(fault.name, spec))

    def finish(self) -> Rehearsed:
        """The drill's result, and its review draft written to the reviews directory."""
        result = self.drill.finish()
        return Rehearsed(result, write_review(result, self.files.reviews))


def rehearse(
    planned: PlannedDrill,
    checked: Checked,
    files: IncidentFiles,
    target: Target,
    timeline: Timeline,
    *,
    faults: DrillFaults,
    responder: Responder,
    traffic: Traffic | None,
    webhook: str | None = None,
    say: Callable[[str], None] | None = None,
) -> Rehearsal:
    """The rehearsal of ``planned`` against ``target``, recording into ``timeline`` (nothing runs yet). When the
    target has monitoring, the drill also watches the alerts that name the runbook."""
    alerting = DrillAlerting(
        plan_alerting(target, planned.plan.incident, files.alerts_dir()),
        timeline,
        target=target,
        silences=journal_dir(faults.config, target),
    )
    drill = Drill(
        planned.plan,
        checked.classification,
        checked.escalation,
        target,
        timeline,
        responder=responder,
        communicator=Communicator(files.templates, files.comms, webhook),
        traffic=traffic,
        slow_after=checked.classification.slow_after(),
        say=say if say is not None else _quiet,
        alerting=alerting,
    )
    return Rehearsal(planned, drill, faults, files)


def _quiet(_message: str) -> None:
    """Say nothing (the steps' drills report through the timeline)."""


def runbook_problems(files: IncidentFiles, root: Path) -> tuple[UserError, ...]:
    """Each incident runbook declares a severity and names experiments that exist (the drills need both)."""
    problems: list[UserError] = []
    for path in files.runbook_paths():
        runbook = read_runbook(path).runbook
        if runbook is None:
            continue  # `opsready runbooks lint` reports what is wrong with it
        if runbook.severity is None:
            problems.append(ValidationError("an incident runbook must declare its 'severity'", runbook.loc("id")))
        if not runbook.experiments:
            problems.append(ValidationError("name the experiment that rehearses it ('experiments')", runbook.loc("id")))
        for name in runbook.experiments:
            if not (root / "experiments" / f"{name}.yaml").is_file():
                message = f"experiment '{name}' not found in {root / 'experiments'}"
                problems.append(ValidationError(message, runbook.loc("experiments")))
    return tuple(problems)
