"""The runbooks the product ships (runbooks/*.md) follow the template and promise the story's targets."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from opsready.runbooks import lint, runbook_index

RUNBOOKS = Path(__file__).resolve().parents[3] / "runbooks"
IDS = ("deployment", "emergency-deployment", "rollback")

pytestmark = pytest.mark.skipif(not RUNBOOKS.is_dir(), reason=f"no shipped runbooks at {RUNBOOKS}")


def test_shipped_runbooks_parse_with_the_expected_ids() -> None:
    """deployment, rollback and emergency-deployment parse strictly and keep their ids."""
    index = runbook_index(RUNBOOKS)
    assert set(IDS) <= set(index)
    assert index["deployment"].category == "deployment"
    assert index["emergency-deployment"].category == "deployment"
    assert index["rollback"].category == "rollback"


def test_rollback_targets_match_the_story() -> None:
    """Rollback in under 5 minutes, detection and recovery within 60 seconds."""
    rollback = runbook_index(RUNBOOKS)["rollback"]
    assert rollback.target("rollback_within") == 300
    assert rollback.target("detect_within") == 60
    assert rollback.target("healthy_within") == 60


@pytest.mark.parametrize("runbook_id", IDS)
def test_shipped_runbook_content(runbook_id: str) -> None:
    """Validation and Communication sections, placeholder contacts for three roles, and real CLI commands."""
    runbook = runbook_index(RUNBOOKS)[runbook_id]
    assert runbook.last_reviewed == date(2026, 11, 27)
    assert runbook.section("Validation") is not None
    communication = runbook.section("Communication")
    assert communication is not None
    assert communication.text.count("```text") >= 2
    for role in ("primary", "escalation", "emergency"):
        contact = runbook.contact(role)
        assert contact is not None, role
        assert "[" in contact.who, f"{role} contact should be a placeholder to fill in"
    text = Path(runbook.path).read_text(encoding="utf-8")
    commands = set(re.findall(r"`(opsready [a-z][a-z-]*(?: [a-z][a-z-]*)?)", text))
    known = {
        "opsready sandbox up",
        "opsready sandbox status",
        "opsready sandbox releases",
        "opsready sandbox down",
        "opsready check pre-deploy",
        "opsready check post-deploy",
        "opsready deploy",
        "opsready rollback",
        "opsready gate",
    }
    assert commands <= known, commands - known


def test_repository_runbooks_and_features_lint_clean() -> None:
    """What the gate checks: every shipped runbook is verified by a scenario and every tag names a runbook."""
    report = lint(RUNBOOKS, RUNBOOKS.parent / "features")
    assert report.ok, [str(p) for p in report.errors]
    for runbook_id in IDS:
        assert report.verified_by(runbook_id), f"{runbook_id} is verified by no scenario"
