"""Where the incident inputs and outputs live, relative to opsready.yaml, and checking every input at once.

Inputs: ``runbooks/incident-classification.yaml``, ``runbooks/escalation.yaml``, the notice templates in
``runbooks/templates/`` and the incident runbooks in ``runbooks/incidents/``. Outputs: notices in
``<reports>/comms/`` and review drafts in the configured reviews directory (``reports/reviews/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsready.config import Config
from opsready.errors import UserError
from opsready.incident.classification import Classification, load_classification
from opsready.incident.comms import check_templates
from opsready.incident.escalation import Escalation, load_escalation
from opsready.incident.mitigation import MitigationPlan, load_mitigation
from opsready.incident.paging import check


@dataclass(frozen=True)
class IncidentFiles:
    """The paths the incident package reads and writes."""

    classification: Path
    escalation: Path
    templates: Path
    runbooks: Path
    comms: Path
    reviews: Path

    @classmethod
    def of(cls, config: Config) -> IncidentFiles:
        """The standard locations under the suite of ``config``."""
        root = config.root
        return cls(
            classification=root / "runbooks" / "incident-classification.yaml",
            escalation=root / "runbooks" / "escalation.yaml",
            templates=root / "runbooks" / "templates",
            runbooks=root / "runbooks" / "incidents",
            comms=config.resolve(config.reports_dir) / "comms",
            reviews=config.resolve(config.deployment.reviews_dir),
        )

    def alerts_dir(self) -> Path:
        """The alert rule files beside the classification (runbooks/alerts)."""
        return self.classification.parent / "alerts"

    def runbook_paths(self) -> tuple[Path, ...]:
        """The incident runbooks, in a stable order."""
        if not self.runbooks.is_dir():
            return ()
        return tuple(sorted(p for p in self.runbooks.glob("*.md") if p.name.lower() != "readme.md"))


@dataclass(frozen=True)
class Checked:
    """Every incident input, validated."""

    classification: Classification
    escalation: Escalation
    mitigations: tuple[MitigationPlan, ...]


def check_all(files: IncidentFiles, now: datetime, weeks: int = 4) -> tuple[Checked | None, tuple[UserError, ...]]:
    """Validate every input; returns what could be read and every problem found (empty when all is well)."""
    problems: list[UserError] = []
    classification = escalation = None
    for load in (lambda: load_classification(files.classification), lambda: check_templates(files.templates)):
        try:
            value = load()
        except UserError as exc:
            problems.append(exc)
        else:
            classification = value if isinstance(value, Classification) else classification
    try:
        escalation = load_escalation(files.escalation)
    except UserError as exc:
        problems.append(exc)
    if classification is not None and escalation is not None:
        problems.extend(check(escalation, classification, now, weeks))
    mitigations = []
    for path in files.runbook_paths():
        try:
            mitigations.append(load_mitigation(path))
        except UserError as exc:
            problems.append(exc)
    if classification is None or escalation is None or problems:
        return None, tuple(problems)
    return Checked(classification, escalation, tuple(mitigations)), ()
