"""The one drill-plan builder: incident runbook -> its experiment -> the fault and the mitigation -> a drill plan.

Both faces that rehearse an incident (``opsready gameday`` and the incident-response steps) build their plans here,
so a runbook means the same drill wherever it is played. Read-only: the target is asked which faults it offers and
whether the mitigation's components exist, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsready.chaos.experiment import PlannedFault, load_experiment
from opsready.errors import Loc, UsageError, ValidationError
from opsready.incident.drill import DrillPlan
from opsready.incident.files import IncidentFiles
from opsready.incident.mitigation import load_mitigation
from opsready.runbooks.parse import parse_runbook, read_runbook
from opsready.severity import SeverityName
from opsready.spelling import did_you_mean
from opsready.targets.faults import faults_of
from opsready.targets.protocol import Target


@dataclass(frozen=True)
class PlannedDrill:
    """A drill plan and the chaos fault that starts it."""

    plan: DrillPlan
    fault: PlannedFault


def incident_runbooks(files: IncidentFiles) -> dict[str, Path]:
    """Incident runbook ids and their files (a runbook with broken front matter still declares its id)."""
    found = {}
    for path in files.runbook_paths():
        read = read_runbook(path)
        if read.declared_id:
            found[read.declared_id] = path
    return found


def find_incident_runbook(files: IncidentFiles, runbook_id: str) -> Path:
    """The file of incident runbook ``runbook_id``; a :class:`UsageError` naming the known ones otherwise."""
    found = incident_runbooks(files)
    if runbook_id not in found:
        known = sorted(found)
        hint = did_you_mean(runbook_id, known)
        raise UsageError(f"no incident runbook '{runbook_id}'{hint}; known: {', '.join(known)}")
    return found[runbook_id]


def plan_drill(
    root: Path, runbook_path: Path, target: Target, *, experiment: str = "", severity: SeverityName | None = None
) -> PlannedDrill:
    """The drill of one incident runbook against ``target``: the experiment it names (``experiment``, else the first),
    that experiment's injected fault, and the runbook's mitigation checked against the target's components.

    ``severity`` stands in when the runbook declares none (a game-day plan's). Problems are :class:`UserError` at the
    offending line: nothing has been touched when this raises."""
    runbook = parse_runbook(runbook_path)
    declared = runbook.severity or severity
    if declared is None:
        raise ValidationError(f"runbook '{runbook.id}' declares no severity", runbook.loc("severity"))
    if not runbook.experiments:
        raise ValidationError(f"runbook '{runbook.id}' names no experiment to rehearse it", runbook.loc("id"))
    name = experiment or runbook.experiments[0]
    if name not in runbook.experiments:
        named = ", ".join(runbook.experiments)
        raise ValidationError(
            f"runbook '{runbook.id}' names experiments {named}, not {name}", runbook.loc("experiments")
        )
    kinds = faults_of(target).fault_kinds()
    experiment_path = root / "experiments" / f"{name}.yaml"
    loaded = load_experiment(experiment_path, kinds)
    fault = next((f for f in loaded.faults if f.phase == "method"), None)
    if fault is None:
        raise ValidationError(f"experiment '{name}' injects no fault", Loc(str(experiment_path)))
    if fault.spec.kind not in {k.name for k in kinds}:
        raise UsageError(f"target '{target.name}' offers no '{fault.spec.kind}' fault", loc=fault.loc)
    mitigation = load_mitigation(runbook_path)
    mitigation.check(target)
    plan = DrillPlan(
        incident=runbook.id,
        title=runbook.title,
        runbook=_relative(Path(runbook.path), root),
        owner=runbook.owner,
        severity=declared,
        experiment=loaded.name,
        fault=fault.spec.describe(),
        mitigation=mitigation,
    )
    return PlannedDrill(plan, fault)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:  # a runbook outside the suite (a symlinked folder resolved elsewhere)
        return str(path)
