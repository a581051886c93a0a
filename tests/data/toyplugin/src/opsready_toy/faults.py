"""Fault kind ``flag-file``: raise a flag file on a toy target; the revert removes it, from any process."""

from __future__ import annotations

import contextlib
from pathlib import Path

from opsready.errors import UsageError
from opsready.observation import Observation
from opsready.targets.faults import TEXT, Facts, FaultBase, FaultKind, FaultParam, FaultPlugin, FaultSpec
from opsready_toy.adapter import ToyTarget


def _toy(target: object) -> ToyTarget:
    if not isinstance(target, ToyTarget):
        raise UsageError(f"fault kind 'flag-file' needs a toy target, not {type(target).__name__}")
    return target


class FlagFile(FaultBase):
    """A file ``flags/<flag>`` holding the fault's id; its path is a fact, so a revert needs nothing else."""

    def __init__(self, target: object, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> None:
        super().__init__(spec, fault_id, facts)
        self.flags = _toy(target).flags

    @property
    def placement(self) -> str:
        """The flags directory."""
        return f"in {self.flags}"

    @property
    def path(self) -> Path:
        """The flag file: from the journaled facts when reverting, else from the spec."""
        return Path(self.facts.get("path") or self.flags / self.spec.text("flag"))

    def prepare(self) -> Facts:
        """Where the flag will be."""
        return (("path", str(self.flags / self.spec.text("flag"))),)

    def inject(self, deadline: float) -> None:
        """Raise the flag."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.fault_id, encoding="utf-8")

    def revert(self, timeout: float) -> None:
        """Lower it (harmless when it is not raised)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def verify_reverted(self) -> Observation:
        """The flag file is gone."""
        gone = not self.path.exists()
        return Observation("flag-file", gone, None, "", f"{self.path} {'absent' if gone else 'still present'}")


def _residue(target: object) -> tuple[Observation, ...]:
    flags = _toy(target).flags
    left = sorted(p.name for p in flags.glob("*")) if flags.is_dir() else []
    return (Observation("flag-files", not left, float(len(left)), "", ", ".join(left) or "no flag left"),)


FLAG_FILE = FaultPlugin(
    kind=FaultKind(
        "flag-file",
        "process",
        "raise a flag file on a toy target",
        (FaultParam("flag", TEXT, "down", summary="the flag's file name"),),
    ),
    open=FlagFile,
    platforms=("toy",),
    residue=_residue,
)
