"""Lint runbooks against the procedure template and link them both ways to the scenarios that verify them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from opsready.errors import Loc, ValidationError
from opsready.runbooks.catalogue import CATALOGUE_FILE, read_catalogue
from opsready.runbooks.model import Runbook
from opsready.runbooks.parse import RunbookRead, find_runbook_files, read_runbook
from opsready.runbooks.scenarios import RUNBOOK_TAG, ScenarioRef, Tag, find_feature_files, read_feature

if TYPE_CHECKING:
    import click

LintSeverity = Literal["error", "warning"]
ERROR: LintSeverity = "error"
WARNING: LintSeverity = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: where, what, and whether it fails the lint (error) or only informs (warning)."""

    loc: Loc
    message: str
    severity: LintSeverity = ERROR

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class LintReport:
    """Every problem found, and for each runbook id the scenarios that verify it."""

    problems: tuple[Problem, ...]
    coverage: tuple[tuple[str, tuple[ScenarioRef, ...]], ...]
    runbooks: tuple[Runbook, ...] = ()
    scenarios: tuple[ScenarioRef, ...] = ()

    @property
    def ok(self) -> bool:
        """No errors (warnings do not fail a lint)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems of severity error."""
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems of severity warning."""
        return tuple(p for p in self.problems if p.severity == WARNING)

    def verified_by(self, runbook_id: str) -> tuple[ScenarioRef, ...]:
        """The scenarios tagged ``@runbook:<runbook_id>``."""
        return next((refs for rid, refs in self.coverage if rid == runbook_id), ())


def _problem(exc: ValidationError, severity: LintSeverity = ERROR) -> Problem:
    return Problem(exc.loc or Loc("<unknown>"), exc.message, severity)


def _read_runbooks(runbooks_dir: Path, problems: list[Problem]) -> tuple[list[RunbookRead], list[Runbook]]:
    if not runbooks_dir.is_dir():
        problems.append(Problem(Loc(str(runbooks_dir)), "runbooks directory not found"))
        return [], []
    reads = [read_runbook(path) for path in find_runbook_files(runbooks_dir)]
    runbooks: list[Runbook] = []
    seen: dict[str, Runbook] = {}
    for read in reads:
        problems.extend(_problem(exc) for exc in read.problems)
        runbook = read.runbook
        if runbook is None:
            continue
        if runbook.id in seen:
            first = seen[runbook.id].loc()
            problems.append(Problem(runbook.loc(), f"duplicate runbook id '{runbook.id}' (first defined at {first})"))
            continue
        seen[runbook.id] = runbook
        runbooks.append(runbook)
    return reads, runbooks


def _review_problems(runbook: Runbook, today: date) -> list[Problem]:
    where = runbook.loc("last_reviewed")
    if runbook.last_reviewed > today:
        return [Problem(where, f"last_reviewed {runbook.last_reviewed} is in the future (today is {today})")]
    if runbook.is_stale(today):
        every = f"{runbook.review_every / 86400:g} days"
        message = (
            f"runbook '{runbook.id}' is stale: last reviewed {runbook.last_reviewed}, "
            f"reviews are due every {every} (due {runbook.review_due})"
        )
        return [Problem(where, message, WARNING)]
    return []


def _read_scenarios(features_dir: Path, problems: list[Problem]) -> list[ScenarioRef]:
    if not features_dir.is_dir():
        problems.append(Problem(Loc(str(features_dir)), "features directory not found"))
        return []
    scenarios: list[ScenarioRef] = []
    for path in find_feature_files(features_dir):
        try:
            scenarios.extend(read_feature(path))
        except ValidationError as exc:
            problems.append(_problem(exc))
    return scenarios


def _step_problem(tag: Tag, runbook: Runbook | None) -> str | None:
    """Why a ``runbook:<id>:<step>`` tag is wrong, or None."""
    if tag.step_text is None:
        return None
    if tag.runbook_step is None:
        return _bad_step(tag)
    if runbook is None:  # its front matter is broken, which is reported already; its steps are unknown
        return None
    numbers = [step.number for step in runbook.steps]
    if tag.runbook_step in numbers:
        return None
    has = f"steps 1-{max(numbers)}" if numbers else "no numbered steps"
    return f"tag '@{tag.name}' names step {tag.runbook_step}, but runbook '{runbook.id}' has {has}"


def _bad_step(tag: Tag) -> str:
    return f"tag '@{tag.name}': the step must be a step number, as in '@{RUNBOOK_TAG}{tag.runbook_id}:3'"


def _tag_problems(scenarios: list[ScenarioRef], known: set[str], runbooks: dict[str, Runbook]) -> list[Problem]:
    problems: dict[tuple[str, int, str], Problem] = {}
    for scenario in scenarios:
        for tag in scenario.tags:
            rid = tag.runbook_id
            if rid is None:
                continue
            loc = Loc(scenario.path, tag.line)
            if rid in known:
                message = _step_problem(tag, runbooks.get(rid))
                if message is not None:
                    problems.setdefault((scenario.path, tag.line, tag.name), Problem(loc, message))
                continue
            message = (
                f"tag '@{RUNBOOK_TAG}' names no runbook id"
                if not rid
                else f"tag '@{tag.name}' names no runbook (known ids: {', '.join(sorted(known)) or 'none'})"
            )
            problems.setdefault((scenario.path, tag.line, tag.name), Problem(loc, message))
    return list(problems.values())


def lint(
    runbooks_dir: Path,
    features_dir: Path,
    today: date | None = None,
    cli: click.Command | None = None,
    platform_only: Mapping[str, str] | None = None,
    *,
    strict: bool = False,
) -> LintReport:
    """Lint every runbook and feature file; errors fail it, stale reviews and placeholders left to fill in
    (``[FILL IN: ...]``) are warnings (placeholders are errors when ``strict``). Given the command tree (``cli``),
    every ``opsready`` command the runbooks name is checked against it too. Alert rules (``runbooks/alerts``) and
    incident runbooks must name each other (:mod:`opsready.runbooks.alerts`)."""
    from opsready.runbooks.placeholders import find_placeholders, suite_places

    day = today or date.today()
    problems: list[Problem] = []
    problems.extend(
        Problem(p.loc, f"placeholder left to fill in: {p.text}", ERROR if strict else WARNING)
        for p in find_placeholders(*suite_places(runbooks_dir, features_dir))
    )
    if cli is not None and runbooks_dir.is_dir():
        from opsready.runbooks.cmdlint import lint_commands

        findings, _ = lint_commands(runbooks_dir, cli, platform_only or {})
        problems.extend(Problem(f.loc, f.message) for f in findings)
    reads, runbooks = _read_runbooks(runbooks_dir, problems)
    for runbook in runbooks:
        problems.extend(_review_problems(runbook, day))
    scenarios = _read_scenarios(features_dir, problems)
    # a runbook whose front matter is broken still declares its id: its scenarios must not be reported as dangling
    known = {r.id for r in runbooks} | {r.declared_id for r in reads if r.declared_id}
    problems.extend(_tag_problems(scenarios, known, {r.id: r for r in runbooks}))
    if (runbooks_dir / CATALOGUE_FILE).is_file():  # the checked list completeness is measured against
        try:
            read_catalogue(runbooks_dir / CATALOGUE_FILE, known)
        except ValidationError as exc:
            problems.append(_problem(exc))
    from opsready.runbooks.alerts import alert_findings

    problems.extend(
        Problem(loc, message, ERROR if error else WARNING)
        for loc, message, error in alert_findings(runbooks_dir, runbooks)
    )
    coverage = []
    for runbook in runbooks:
        refs = tuple(s for s in scenarios if runbook.id in s.runbook_ids)
        coverage.append((runbook.id, refs))
        if not refs:
            message = f"runbook '{runbook.id}' is verified by no scenario (tag one with @{RUNBOOK_TAG}{runbook.id})"
            problems.append(Problem(runbook.loc(), message))
    problems.sort(key=lambda p: (p.loc.path, p.loc.line))
    return LintReport(tuple(problems), tuple(coverage), tuple(runbooks), tuple(scenarios))
