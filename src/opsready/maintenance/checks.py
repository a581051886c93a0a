"""Pre- and post-maintenance validation: the shared probes every procedure runs before and after its work.

Before: the service is ready, every component runs, the database answers and the disk has room, so maintenance
never starts on a system that is already in trouble (a failed pre-check aborts with nothing changed). After: the
same, plus the smoke test (users can browse, order and read back), so "it worked" is measured, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.config.maintenance import MaintenancePolicy
from opsready.errors import Loc
from opsready.observation import Observation
from opsready.probes.registry import ProbeCall, parse_probe_call
from opsready.targets.maintenance import SupportsMaintenance
from opsready.targets.protocol import Target

_HERE = Loc("<maintenance checks>")


@dataclass(frozen=True)
class CheckResult:
    """One check as it ran."""

    name: str
    observation: Observation


@dataclass(frozen=True)
class CheckRun:
    """The checks of one phase (``pre`` or ``post``)."""

    phase: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """Every check passed (and at least one ran)."""
        return bool(self.results) and all(r.observation.ok for r in self.results)

    def summary(self) -> str:
        """'pre: 4/4 checks passed' or the failures with their evidence."""
        bad = [r for r in self.results if not r.observation.ok]
        if not bad:
            return f"{self.phase}: {len(self.results)}/{len(self.results)} checks passed"
        return f"{self.phase}: failed " + "; ".join(r.observation.describe() for r in bad)


def _call(probe: str, **args: object) -> ProbeCall:
    return parse_probe_call(probe, dict(args), _HERE, _HERE)


def checks(phase: str, policy: MaintenancePolicy, disk: bool = True) -> tuple[tuple[str, ProbeCall], ...]:
    """The named probe calls of a phase (without the disk check for the procedure that is the disk check)."""
    common = (
        ("the service is ready", _call("readiness")),
        ("every component runs", _call("processes")),
        ("the database answers", _call("database")),
    )
    room = (f"the disk is at most {policy.disk_threshold:.0%} full", _call("disk", max=policy.disk_threshold))
    extra = (room,) if disk else ()
    if phase == "pre":
        return (*common, *extra)
    return (*common, ("users can browse, order and read back", _call("smoke")), *extra)


def run_checks(phase: str, policy: MaintenancePolicy, target: Target, disk: bool = True) -> CheckRun:
    """Run the checks of a phase against the target (the disk only where the platform reports it)."""
    disk = disk and isinstance(target, SupportsMaintenance)
    return CheckRun(phase, tuple(CheckResult(name, call.run(target)) for name, call in checks(phase, policy, disk)))
