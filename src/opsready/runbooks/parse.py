"""Read runbook files: one at a time (collecting every problem, for lint) or all at once (strict, for the product)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from opsready.errors import Loc, UserError, ValidationError
from opsready.runbooks.body import parse_body
from opsready.runbooks.frontmatter import build_front_matter, declared_id, load_front_matter, split_front_matter
from opsready.runbooks.model import Runbook
from opsready.textfile import read_text


@dataclass(frozen=True)
class RunbookRead:
    """One runbook file as read: the runbook when its front matter is valid, and every problem found in it."""

    path: str
    runbook: Runbook | None
    problems: tuple[ValidationError, ...]
    declared_id: str | None = None


def find_runbook_files(runbooks_dir: Path) -> tuple[Path, ...]:
    """Every ``*.md`` under the directory (subdirectories too), except README files, in a stable order."""
    return tuple(sorted(p for p in runbooks_dir.rglob("*.md") if p.is_file() and p.name.lower() != "readme.md"))


def read_runbook(path: Path) -> RunbookRead:
    """Read one runbook and collect its front matter error (the first one) and every template problem."""
    where = str(path)
    try:
        lines = read_text(path, "runbook", encoding="utf-8-sig").splitlines()
    except ValidationError as exc:
        return RunbookRead(where, None, (exc,))
    except UserError as exc:
        return RunbookRead(where, None, (ValidationError(exc.message, Loc(where)),))
    problems: list[ValidationError] = []
    try:
        split = split_front_matter(lines, where)
    except ValidationError as exc:
        if lines and lines[0].strip() == "---":
            return RunbookRead(where, None, (exc,))  # unclosed: nothing after it can be told apart from YAML
        body = parse_body(lines, 0, where)
        return RunbookRead(where, None, (exc, *body.problems))
    body = parse_body(lines, split.body_start, where)
    front = None
    data: object = None
    try:
        data = load_front_matter(split, where)
        front = build_front_matter(data, where, fence_line=1)
    except ValidationError as exc:
        problems.append(exc)
    rid = declared_id(data, split)
    problems.extend(body.problems)
    if front is None:
        return RunbookRead(where, None, tuple(problems), rid)
    runbook = Runbook(
        path=where,
        id=front.id,
        title=front.title,
        owner=front.owner,
        last_reviewed=front.last_reviewed,
        review_every=front.review_every,
        category=front.category,
        severity=front.severity,
        targets=front.targets,
        experiments=front.experiments,
        sections=body.sections,
        steps=body.steps,
        contacts=body.contacts,
        heading=body.heading,
        key_lines=front.key_lines,
    )
    return RunbookRead(where, runbook, tuple(problems), front.id)


def parse_runbook(path: Path) -> Runbook:
    """Parse one runbook; the first problem (front matter first, then the body in line order) is raised."""
    read = read_runbook(path)
    if read.problems:
        raise min(read.problems, key=lambda e: e.loc.line if e.loc else 0)
    assert read.runbook is not None  # no problems means the front matter was valid
    return read.runbook


def load_runbooks(runbooks_dir: Path) -> tuple[Runbook, ...]:
    """Parse every runbook in the directory; the first ValidationError (including a duplicate id) is raised."""
    if not runbooks_dir.is_dir():
        raise ValidationError(f"runbooks directory not found: {runbooks_dir}", Loc(str(runbooks_dir)))
    runbooks = tuple(parse_runbook(path) for path in find_runbook_files(runbooks_dir))
    _index(runbooks)
    return runbooks


def _index(runbooks: Iterable[Runbook]) -> dict[str, Runbook]:
    index: dict[str, Runbook] = {}
    for runbook in runbooks:
        if runbook.id in index:
            raise ValidationError(
                f"duplicate runbook id '{runbook.id}' (first defined at {index[runbook.id].loc()})", runbook.loc()
            )
        index[runbook.id] = runbook
    return index


def runbook_index(runbooks: Path | Iterable[Runbook]) -> Mapping[str, Runbook]:
    """Runbooks by id, read from a directory or given; a duplicate id is a ValidationError at the second one."""
    items = load_runbooks(runbooks) if isinstance(runbooks, Path) else tuple(runbooks)
    return MappingProxyType(_index(items))
