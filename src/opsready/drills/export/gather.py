"""Gather the bundle from a suite: the runbooks, the classification, the escalation file and the troubleshooting
tree, each read and validated by the package that owns it; the first problem is raised at its ``path:line``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from opsready.drills.export.diagram import Edge, Node, draw
from opsready.drills.export.markdown import Renderer, Source
from opsready.drills.export.model import (
    Bundle,
    ContactRow,
    EscalationStep,
    Page,
    RotaRow,
    Rotation,
    SeverityRow,
)
from opsready.errors import ValidationError
from opsready.incident.classification import Classification, load_classification
from opsready.incident.escalation import Escalation, load_escalation
from opsready.incident.oncall import Turn, schedule
from opsready.results import CATEGORIES
from opsready.runbooks import Runbook, load_runbooks
from opsready.textfile import read_text
from opsready.troubleshooting.load import load_tree
from opsready.troubleshooting.model import Tree

CLASSIFICATION = "incident-classification.yaml"
ESCALATION = "escalation.yaml"
TREE = "troubleshooting-tree.yaml"
_STAMP = "%a %Y-%m-%d %H:%M"


def _body(path: Path) -> tuple[str, int]:
    """The Markdown after the front matter, and the 1-based line it starts on."""
    lines = read_text(path, "runbook", encoding="utf-8-sig").splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        return "\n".join(lines[end + 1 :]), end + 2
    return "\n".join(lines), 1


def _sources(runbooks_dir: Path, runbooks: tuple[Runbook, ...]) -> tuple[tuple[Source, Runbook | None], ...]:
    order = {category: index for index, category in enumerate(CATEGORIES)}
    found: list[tuple[Source, Runbook | None]] = []
    readme = runbooks_dir / "README.md"
    if readme.is_file():
        body, first = _body(readme)
        found.append((Source(readme, "rb-readme", body, first), None))
    for runbook in sorted(runbooks, key=lambda r: (order.get(r.category, 99), r.path)):
        body, first = _body(Path(runbook.path))
        found.append((Source(Path(runbook.path), f"rb-{runbook.id}", body, first), runbook))
    return tuple(found)


def _pages(root: Path, sources: tuple[tuple[Source, Runbook | None], ...], renderer: Renderer) -> tuple[Page, ...]:
    pages = []
    for source, runbook in sources:
        rendered = renderer.render(source)
        try:
            where = str(source.path.resolve().relative_to(root.resolve()))
        except ValueError:
            where = str(source.path)
        if runbook is None:
            title = "About these runbooks"
            pages.append(Page(source.page, "readme", title, "", "", where, "", "", rendered.html, rendered.text))
            continue
        pages.append(
            Page(
                source.page,
                runbook.id,
                runbook.title,
                runbook.category,
                runbook.severity or "",
                where,
                runbook.owner,
                runbook.last_reviewed.isoformat(),
                rendered.html,
                f"{runbook.title} {runbook.id} {rendered.text}",
            )
        )
    return tuple(pages)


def _diagram(tree: Tree, renderer: Renderer, pages: dict[str, Path]) -> str:
    nodes: list[Node] = []
    edges: list[Edge] = []
    for qid, question in tree.questions.items():
        nodes.append(Node(qid, "question", qid, question.text))
        edges.extend(Edge(qid, target, outcome) for outcome, target in question.branches())
    for did, diagnosis in tree.diagnoses.items():
        link = diagnosis.runbook
        path = pages.get(link.id)
        if path is None or (link.anchor and link.anchor not in renderer.anchors(path)):
            raise ValidationError(f"the diagnosis links to '{link}', which is not in the export", link.loc)
        href = f"#rb-{link.id}" + (f"--{link.anchor}" if link.anchor else "")
        title = f"{diagnosis.text} (severity {diagnosis.severity}; follow {link})"
        nodes.append(Node(did, "diagnosis", did, title, href, diagnosis.severity))
    return draw(tree.root, tuple(nodes), tuple(edges))


def human(seconds: float) -> str:
    """A duration as a person says it: '15 minutes', '2 hours', '48 hours', '4 days 6 hours', '1 minute 30 seconds'."""
    whole = round(seconds)
    if whole == 0:
        return "immediately"
    parts = []
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    for name, size in units if whole >= 3 * 86400 else units[1:]:
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(parts[:2])


def _severities(classification: Classification) -> tuple[SeverityRow, ...]:
    return tuple(
        SeverityRow(
            s.name,
            s.description,
            human(s.response_time),
            human(s.escalation),
            tuple(f"{c.name}: {c.means or c.condition()}" for c in s.criteria),
        )
        for s in classification.severities
    )


def _merged(turns: tuple[Turn, ...]) -> list[Turn]:
    """Turns of one shift, consecutive ones with the same contact merged (a night shift is one line a week)."""
    merged: list[Turn] = []
    for turn in turns:
        last = merged[-1] if merged else None
        if last and (last.contact, last.replaces) == (turn.contact, turn.replaces):
            merged[-1] = Turn(turn.rotation, turn.shift, last.start, turn.end, turn.contact, turn.replaces)
        else:
            merged.append(turn)
    return merged


def _rotations(escalation: Escalation, now: datetime, weeks: int) -> tuple[Rotation, ...]:
    found = []
    for rotation in escalation.rotations:
        turns = schedule(escalation, rotation, now, now + timedelta(weeks=weeks))
        rows = [
            RotaRow(t.rotation, t.shift, t.start.strftime(_STAMP), t.end.strftime(_STAMP), t.contact, t.replaces)
            for shift in rotation.shifts
            for t in _merged(tuple(t for t in turns if t.shift == shift.name))
        ]
        found.append(Rotation(rotation.id, rotation.description, tuple(rows)))
    return tuple(found)


def _steps(escalation: Escalation) -> tuple[EscalationStep, ...]:
    return tuple(
        EscalationStep(
            policy.severity, human(step.after) if step.after else "at once", ", ".join(step.notify), step.via
        )
        for policy in escalation.policies
        for step in policy.steps
    )


def gather(root: Path, now: datetime, weeks: int = 4) -> Bundle:
    """Read and validate everything the bundle shows from the suite at ``root`` (its ``runbooks/`` directory)."""
    runbooks_dir = root / "runbooks"
    runbooks = load_runbooks(runbooks_dir)
    sources = _sources(runbooks_dir, runbooks)
    renderer = Renderer(tuple(source for source, _ in sources))
    pages = _pages(root, sources, renderer)
    diagram, tree_path = "", ""
    if (runbooks_dir / TREE).is_file():
        files = {r.id: Path(r.path) for r in runbooks}
        tree = load_tree(runbooks_dir / TREE, files)
        diagram = _diagram(tree, renderer, files)
        tree_path = f"runbooks/{TREE}"
    severities: tuple[SeverityRow, ...] = ()
    if (runbooks_dir / CLASSIFICATION).is_file():
        severities = _severities(load_classification(runbooks_dir / CLASSIFICATION))
    contacts: tuple[ContactRow, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    steps: tuple[EscalationStep, ...] = ()
    timezone = "UTC"
    if (runbooks_dir / ESCALATION).is_file():
        escalation = load_escalation(runbooks_dir / ESCALATION)
        contacts = tuple(ContactRow(c.id, c.name, c.role, c.channels) for c in escalation.contacts)
        rotations = _rotations(escalation, now, weeks)
        steps = _steps(escalation)
        timezone = escalation.timezone
    return Bundle(
        now.strftime("%Y-%m-%d %H:%M %Z"),
        timezone,
        weeks,
        pages,
        diagram,
        tree_path,
        severities,
        contacts,
        rotations,
        steps,
    )
