"""Named checks and a run of them: what validation checklists and maintenance checks have in common.

A check is a name people read and the probe that answers it. A run passes when at least one check ran and every
one passed: a run of no checks verified nothing, so it never counts as a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from opsready.observation import Observation
from opsready.probes.registry import ProbeCall
from opsready.targets.protocol import Target


@dataclass(frozen=True)
class Check:
    """One check: a name people read, the probe that answers it, and whether even the emergency path runs it."""

    name: str
    call: ProbeCall
    mandatory: bool = False


@dataclass(frozen=True)
class CheckResult:
    """One check as it ran."""

    name: str
    observation: Observation

    @property
    def ok(self) -> bool:
        """The probe's observation passed."""
        return self.observation.ok


@dataclass(frozen=True)
class CheckRun:
    """A named run of checks (a checklist, or the ``pre``/``post`` checks of a maintenance)."""

    name: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """At least one check ran and every one passed."""
        return bool(self.results) and all(r.ok for r in self.results)

    def failures(self) -> tuple[CheckResult, ...]:
        """The checks that failed."""
        return tuple(r for r in self.results if not r.ok)

    def summary(self) -> str:
        """'pre-deploy: 4/4 checks passed', 'post: no checks ran' or the failures with their evidence."""
        if not self.results:
            return f"{self.name}: no checks ran"
        bad = self.failures()
        if not bad:
            return f"{self.name}: {len(self.results)}/{len(self.results)} checks passed"
        return f"{self.name}: failed " + "; ".join(f"{r.name} ({r.observation.describe()})" for r in bad)


def run_checks(name: str, checks: Iterable[Check], target: Target, mandatory_only: bool = False) -> CheckRun:
    """Run the checks (or only the mandatory ones) against the target, in order."""
    return CheckRun(
        name, tuple(CheckResult(c.name, c.call.run(target)) for c in checks if c.mandatory or not mandatory_only)
    )
