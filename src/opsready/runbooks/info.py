"""Runbooks as the data reports need (id, title, category, steps), read tolerantly: a report is no place to fail."""

from __future__ import annotations

from pathlib import Path

from opsready.results import RunbookInfo, RunbookStep
from opsready.runbooks.parse import find_runbook_files, read_runbook


def runbook_infos(runbooks_dir: Path) -> tuple[RunbookInfo, ...]:
    """Every runbook whose front matter can be read, first of each id; broken ones are left to the linter."""
    if not runbooks_dir.is_dir():
        return ()
    found: dict[str, RunbookInfo] = {}
    for path in find_runbook_files(runbooks_dir):
        runbook = read_runbook(path).runbook
        if runbook is None or runbook.id in found:
            continue
        steps = tuple(RunbookStep(step.number, step.text) for step in runbook.steps)
        found[runbook.id] = RunbookInfo(runbook.id, runbook.title, runbook.category, str(path), steps)
    return tuple(found.values())
