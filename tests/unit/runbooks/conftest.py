"""Fixtures for runbook tests: a runbook that passes every rule, written into tmp_path, and a feature writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# Line numbers matter: the tests assert exact path:line locations in this text.
GOOD = """\
---
id: rollback
title: Roll back a release
owner: platform-operations
last_reviewed: 2026-11-27
category: rollback
targets:
  rollback_within: 5 minutes
---
# Roll back a release

## Overview
Put the previous release back into service.

## Prerequisites
- Access to the target

## Steps
1. Check the release history: `opsready sandbox releases`.
   Expected outcome: the previous release is listed.
2. Roll back: `opsready rollback --reason "..."`.
3. Validate: `opsready check post-deploy`.

## Rollback
- Roll forward with an emergency deployment.

## Contacts
- Primary (on-call engineer): [ON-CALL NAME]
- Escalation (team lead): [TEAM LEAD NAME]
"""

Writer = Callable[[str, str], Path]


@pytest.fixture
def runbooks_dir(tmp_path: Path) -> Path:
    """An empty runbooks directory."""
    path = tmp_path / "runbooks"
    path.mkdir()
    return path


@pytest.fixture
def features_dir(tmp_path: Path) -> Path:
    """An empty features directory."""
    path = tmp_path / "features"
    path.mkdir()
    return path


@pytest.fixture
def write_runbook(runbooks_dir: Path) -> Writer:
    """Write a runbook file (name relative to the runbooks directory) and return its path."""

    def write(name: str, text: str) -> Path:
        path = runbooks_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_feature(features_dir: Path) -> Writer:
    """Write a feature file (name relative to the features directory) and return its path."""

    def write(name: str, text: str) -> Path:
        path = features_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def good() -> str:
    """The text of a runbook (id ``rollback``) that passes every rule; tests change it with ``str.replace``."""
    return GOOD
