"""Gather what the runbook quality metrics read: runbooks and their step texts, the checked coverage list, the
scenarios' ``@runbook`` tags, the run history, review drafts and the git history of ``runbooks/``.

Reading is tolerant for readiness.html (a report is no place to fail: what cannot be read becomes "no data" with
the reason) and strict for ``opsready runbooks report`` (a bad coverage list is a ``path:line`` error, exit 2).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from opsready.errors import UserError, ValidationError
from opsready.incident.actions import read_reviews
from opsready.report.history import HISTORY_FILE, PastRun, read_history
from opsready.report.quality import quality_dict, quality_lines, quality_report
from opsready.report.quality_model import (
    DEFAULT_ACCURACY_DAYS,
    ActionItemFacts,
    Change,
    CoverageItem,
    QualityInputs,
    QualityReport,
    Review,
    RunbookFacts,
    StepText,
)
from opsready.runbooks.catalogue import CATALOGUE_FILE, read_catalogue
from opsready.runbooks.model import Runbook
from opsready.runbooks.parse import find_runbook_files, read_runbook
from opsready.runbooks.scenarios import find_feature_files, read_feature

if TYPE_CHECKING:
    import click

GIT_TIMEOUT = 10.0
__all__ = ["QualitySources", "gather", "measure", "quality_dict", "quality_lines"]


@dataclass(frozen=True)
class QualitySources:
    """Where the inputs live (relative paths are under ``root``)."""

    root: Path
    history: Path = Path("reports") / HISTORY_FILE
    reviews: Path = Path("reports/reviews")
    accuracy_days: int = DEFAULT_ACCURACY_DAYS


def step_texts(runbook: Runbook, lines: list[str]) -> tuple[StepText, ...]:
    """Each step's whole text: from its line to the next step (or the end of the Steps section)."""
    section = runbook.section("Steps")
    end = section.end_line if section is not None else len(lines)
    found = []
    for index, step in enumerate(runbook.steps):
        stop = runbook.steps[index + 1].line - 1 if index + 1 < len(runbook.steps) else end
        found.append(StepText(step.number, step.line, "\n".join(lines[step.line - 1 : stop]).rstrip()))
    return tuple(found)


def runbook_facts(runbooks_dir: Path) -> tuple[RunbookFacts, ...]:
    """Every runbook whose front matter reads (first of each id); broken ones are the linter's business."""
    found: dict[str, RunbookFacts] = {}
    for path in find_runbook_files(runbooks_dir) if runbooks_dir.is_dir() else ():
        book = read_runbook(path).runbook
        if book is None or book.id in found:
            continue
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        found[book.id] = RunbookFacts(
            book.id, book.title, book.path, book.last_reviewed, book.review_every / 86400.0, step_texts(book, lines)
        )
    return tuple(found.values())


def drilled_runbooks(features_dir: Path) -> frozenset[str]:
    """Runbook ids some scenario is tagged with; a feature file that does not parse is skipped (lint reports it)."""
    ids: set[str] = set()
    for path in find_feature_files(features_dir) if features_dir.is_dir() else ():
        try:
            ids.update(rid for scenario in read_feature(path) for rid in scenario.runbook_ids)
        except UserError:
            continue
    return frozenset(ids)


def runbook_changes(root: Path) -> tuple[tuple[Change, ...] | None, str]:
    """Commits that changed ``runbooks/`` (day, files), or None and why: no git, not a repository, a shallow clone."""
    try:
        if _git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
            return None, "no history: a shallow clone (git fetch --unshallow to measure it)"
        out = _git(root, "log", "--format=@%cs", "--name-only", "--", "runbooks")
    except FileNotFoundError:
        return None, "no history: git is not installed"
    except subprocess.TimeoutExpired:
        return None, f"no history: git log took over {GIT_TIMEOUT:g} s"
    except subprocess.CalledProcessError:
        return None, "no history: not a git repository"
    changes: list[Change] = []
    for block in out.split("@")[1:]:
        head, *files = block.strip().splitlines()
        changes.append(Change(date.fromisoformat(head.strip()), sum(1 for f in files if f.strip())))
    return tuple(sorted(changes, key=lambda c: c.day)), "ok"


def review_changes(root: Path) -> tuple[Review, ...] | None:
    """Every commit that set a runbook's ``last_reviewed`` (from git), or None when there is no usable history."""
    try:
        if _git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
            return None
        out = _git(root, "log", "--format=@%cs", "-p", "-U0", "--no-color", "-G^last_reviewed:", "--", "runbooks")
    except (FileNotFoundError, subprocess.TimeoutExpired, subprocess.CalledProcessError):
        return None
    found: list[Review] = []
    day: date | None = None
    path = ""
    for line in out.splitlines():
        if line.startswith("@") and not line.startswith("@@"):  # a commit: --format=@%cs
            with contextlib.suppress(ValueError):
                day, path = date.fromisoformat(line[1:].strip()), ""
        elif line.startswith("+++ b/"):
            path = line[len("+++ b/") :]
        elif line.startswith("+last_reviewed:") and path and day is not None:
            with contextlib.suppress(ValueError):
                found.append(Review(day, path, date.fromisoformat(line.split(":", 1)[1].strip())))
    return tuple(sorted(found, key=lambda r: r.day))


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT, check=True
    )
    return done.stdout


def action_items(reviews_dir: Path) -> tuple[tuple[ActionItemFacts, ...] | None, str]:
    """Action items of the review drafts, or None and why."""
    if not reviews_dir.is_dir():
        return None, f"no review drafts in {reviews_dir}"
    try:
        reviews = read_reviews(reviews_dir)
    except UserError as exc:
        return None, f"review drafts unreadable: {exc}"
    items = tuple(ActionItemFacts(str(i.loc), i.done, i.due) for r in reviews for i in r.items)
    return items, "ok" if items else f"no action items in {reviews_dir}"


def coverage_items(runbooks_dir: Path, known: frozenset[str], strict: bool) -> tuple[CoverageItem, ...]:
    """The checked list's items; a missing list is empty, a bad one raises when ``strict`` and is empty otherwise."""
    path = runbooks_dir / CATALOGUE_FILE
    if not path.is_file():
        return ()
    try:
        catalogue = read_catalogue(path, known)
    except ValidationError:
        if strict:
            raise
        return ()
    return tuple(CoverageItem(i.id, i.kind, i.title, i.runbooks, str(i.loc)) for i in catalogue.items)


def checked_commands(runbooks_dir: Path, cli: click.Command, platform_only: Mapping[str, str]) -> tuple[int, int]:
    """How many of the runbooks' opsready commands pass the check against the CLI, of how many were checked."""
    from opsready.runbooks.cmdlint import lint_commands

    findings, count = lint_commands(runbooks_dir, cli, platform_only)
    bad = {str(f.loc) for f in findings}
    return max(0, count - len(bad)), count


def gather(
    sources: QualitySources,
    today: date,
    *,
    strict: bool = False,
    runs: tuple[PastRun, ...] | None = None,
    commands: tuple[int, int] | None = None,
) -> QualityInputs:
    """Read every input of the metrics as of ``today`` (``runs``: the history when already read; ``commands``: the
    runbook commands that pass the CLI check, of all checked, when a face checked them)."""
    root = sources.root
    books = runbook_facts(root / "runbooks")
    coverage = coverage_items(root / "runbooks", frozenset(r.id for r in books), strict)
    changes, changes_reason = runbook_changes(root)
    actions, actions_reason = action_items(root / sources.reviews)
    return QualityInputs(
        today=today,
        runbooks=books,
        coverage=coverage,
        drilled=drilled_runbooks(root / "features"),
        runs=runs if runs is not None else read_history(root / sources.history).runs,
        accuracy_days=sources.accuracy_days,
        changes=changes,
        changes_reason=changes_reason,
        actions=actions,
        actions_reason=actions_reason,
        reviews=review_changes(root),
        commands=commands,
    )


def measure(
    sources: QualitySources, today: date, *, strict: bool = False, commands: tuple[int, int] | None = None
) -> QualityReport:
    """The eight quality metrics of the suite at ``sources.root`` as of ``today``."""
    return quality_report(gather(sources, today, strict=strict, commands=commands))
