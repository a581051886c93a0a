"""Reverting one fault: a failing revert is retried and journaled; a journal that cannot be written stops no revert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsready.chaos.revert import RevertFailed, revert_fault
from opsready.observation import Observation
from opsready.targets.faults import Facts, FaultSpec


class MarkerFault:
    """A real fault of the Fault protocol on a file system: a marker file exists while it is applied."""

    def __init__(self, marker: Path, revert_error: OSError | None = None) -> None:
        self.marker = marker
        self.revert_error = revert_error
        self.reverts = 0

    @property
    def spec(self) -> FaultSpec:
        """A marker fault."""
        return FaultSpec("marker")

    def describe(self) -> str:
        """What it does."""
        return f"create {self.marker}"

    def prepare(self) -> Facts:
        """Nothing to remember."""
        return ()

    def inject(self, deadline: float) -> None:
        """Create the marker."""
        self.marker.write_text(str(deadline), encoding="utf-8")

    def revert(self, timeout: float) -> None:
        """Remove the marker (or fail as told)."""
        self.reverts += 1
        if self.revert_error is not None:
            raise self.revert_error
        self.marker.unlink(missing_ok=True)

    def verify_reverted(self) -> Observation:
        """The marker is gone."""
        return Observation("marker gone", not self.marker.exists(), None, "", str(self.marker))


def _records(journal: Path) -> list[tuple[str, str]]:
    return [(r["record"], r["by"]) for r in map(json.loads, journal.read_text().splitlines())]


def test_a_failing_revert_is_retried_then_journaled_as_failed(tmp_path: Path) -> None:
    """Three attempts, each journaled, then `revert_failed` and a RevertFailed naming the fault and the error."""
    fault = MarkerFault(tmp_path / "marker", OSError(5, "Input/output error"))
    fault.inject(0.0)
    journal = tmp_path / "run.jsonl"
    with pytest.raises(RevertFailed, match=r"fault f-1 \(marker\) could not be reverted: OSError"):
        revert_fault(fault, journal, "f-1", "harness")
    assert fault.reverts == 3
    assert _records(journal) == [("reverting", "harness")] * 3 + [("revert_failed", "harness")]


def test_a_journal_that_cannot_be_written_does_not_stop_the_revert(tmp_path: Path) -> None:
    """Every write to the journal fails (a directory holds its path): the fault is still reverted, and the error
    says it was reverted and verified but not recorded, so the journal still shows it applied."""
    fault = MarkerFault(tmp_path / "marker")
    fault.inject(0.0)
    journal = tmp_path / "run.jsonl"
    journal.mkdir()
    said: list[str] = []
    with pytest.raises(RevertFailed, match=r"was reverted and verified .* but the journal could not record it"):
        revert_fault(fault, journal, "f-1", "harness", say=said.append)
    assert not fault.marker.exists(), "the fault was left on the target because its journal could not be written"
    assert fault.reverts == 1
    assert any("IsADirectoryError" in line for line in said), said
