"""The runbook bundle as data: what the page shows, already rendered where it is Markdown, and nothing that needs a
network or opsready to read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One runbook (or the runbooks' README) rendered to HTML: its anchor id, where it came from, its plain text."""

    id: str  # the page's anchor in the bundle ("rb-rollback")
    runbook: str  # the runbook id ("rollback"); "readme" for runbooks/README.md
    title: str
    category: str
    severity: str
    path: str  # relative to the suite root ("runbooks/rollback.md")
    owner: str
    last_reviewed: str
    html: str
    text: str  # the words the search looks in


@dataclass(frozen=True)
class SeverityRow:
    """One severity of runbooks/incident-classification.yaml."""

    name: str
    description: str
    response: str
    escalation: str
    criteria: tuple[str, ...]  # "name: what it means"


@dataclass(frozen=True)
class ContactRow:
    """One contact of runbooks/escalation.yaml and how to reach them."""

    id: str
    name: str
    role: str
    channels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RotaRow:
    """Who covers one shift of a rotation from ``start`` to ``end`` (team clock); ``contact`` empty: nobody."""

    rotation: str
    shift: str
    start: str
    end: str
    contact: str
    replaces: str = ""


@dataclass(frozen=True)
class EscalationStep:
    """One step of a severity's escalation path."""

    severity: str
    after: str
    notify: str
    via: str


@dataclass(frozen=True)
class Rotation:
    """A rotation's description and its rota over the coming weeks."""

    id: str
    description: str
    rows: tuple[RotaRow, ...]


@dataclass(frozen=True)
class Bundle:
    """Everything the exported page holds."""

    generated: str  # ISO time of the export
    timezone: str  # the escalation file's clocks
    weeks: int
    pages: tuple[Page, ...]
    diagram: str  # the troubleshooting tree as an SVG element ('' without a tree)
    tree_path: str
    severities: tuple[SeverityRow, ...]
    contacts: tuple[ContactRow, ...]
    rotations: tuple[Rotation, ...]
    escalation: tuple[EscalationStep, ...]
