"""Pre- and post-maintenance validation: the shared probes every procedure runs before and after its work.

Before: the service is ready, every component runs, the database answers and the disk has room, so maintenance
never starts on a system that is already in trouble (a failed pre-check aborts with nothing changed). After: the
same, plus the smoke test (users can browse, order and read back), so "it worked" is measured, not assumed.
"""

from __future__ import annotations

from typing import Literal

from opsready.checks import Check, CheckRun, run_checks
from opsready.config.maintenance import MaintenancePolicy
from opsready.errors import Loc
from opsready.probes.registry import ProbeCall, parse_probe_call
from opsready.targets.maintenance import SupportsMaintenance
from opsready.targets.protocol import Target

_HERE = Loc("<maintenance checks>")


Phase = Literal["pre", "post"]


def _call(probe: str, **args: object) -> ProbeCall:
    return parse_probe_call(probe, dict(args), _HERE, _HERE)


def phase_checks(phase: Phase, policy: MaintenancePolicy, disk: bool = True) -> tuple[Check, ...]:
    """The checks of a phase (without the disk check for the procedure that is the disk check)."""
    common = (
        Check("the service is ready", _call("readiness")),
        Check("every component runs", _call("processes")),
        Check("the database answers", _call("database")),
    )
    room = Check(f"the disk is at most {policy.disk_threshold:.0%} full", _call("disk", max=policy.disk_threshold))
    extra = (room,) if disk else ()
    if phase == "pre":
        return (*common, *extra)
    return (*common, Check("users can browse, order and read back", _call("smoke")), *extra)


def run_phase(phase: Phase, policy: MaintenancePolicy, target: Target, disk: bool = True) -> CheckRun:
    """Run the checks of a phase against the target (the disk only where the platform reports it)."""
    disk = disk and isinstance(target, SupportsMaintenance)
    return run_checks(phase, phase_checks(phase, policy, disk), target)
