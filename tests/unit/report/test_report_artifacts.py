"""Artifacts beside the reports: listed by kind, newest first, and only kinds the reports know."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.report.artifacts import find_artifacts


def test_files_are_listed_by_kind_and_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    """Journal and comms files are found under their kinds; a kind outside the closed set is a programming error."""
    (tmp_path / "journals").mkdir()
    (tmp_path / "journals" / "f1.jsonl").write_text("{}\n")  # the journal index itself is not an artifact
    (tmp_path / "journals" / "f1.md").write_text("x")
    (tmp_path / "comms").mkdir()
    (tmp_path / "comms" / "n.md").write_text("x")
    found = find_artifacts([("journal", tmp_path / "journals"), ("comms", tmp_path / "comms")])
    assert sorted((a.kind, Path(a.path).name) for a in found) == [("comms", "n.md"), ("journal", "f1.md")]
    with pytest.raises(ValueError, match="unknown artifact kind 'photos'"):
        find_artifacts([("photos", tmp_path)])
