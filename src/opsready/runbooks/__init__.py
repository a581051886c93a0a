"""Runbooks: Markdown procedures with front matter, parsed, linted, and linked to the scenarios that verify them."""

from __future__ import annotations

from opsready.results import CATEGORIES
from opsready.runbooks.info import runbook_infos
from opsready.runbooks.lint import LintReport, Problem, lint
from opsready.runbooks.model import (
    REQUIRED_SECTIONS,
    Contact,
    Runbook,
    Section,
    Step,
    TargetTime,
)
from opsready.runbooks.parse import find_runbook_files, load_runbooks, parse_runbook, runbook_index
from opsready.runbooks.scenarios import ScenarioRef, Tag, find_feature_files, read_feature
from opsready.severity import SEVERITIES

__all__ = [
    "CATEGORIES",
    "REQUIRED_SECTIONS",
    "SEVERITIES",
    "Contact",
    "LintReport",
    "Problem",
    "Runbook",
    "ScenarioRef",
    "Section",
    "Step",
    "Tag",
    "TargetTime",
    "find_feature_files",
    "find_runbook_files",
    "lint",
    "load_runbooks",
    "parse_runbook",
    "read_feature",
    "runbook_index",
    "runbook_infos",
]
