"""Resource faults on the sandbox's host: a CPU hog and memory pressure, each a bounded holder process.

Bounds are hard: the CPU hog runs at most :data:`MAX_WORKERS_PER_CORE` busy processes per core and carries
RLIMIT_CPU; memory pressure never takes more than :data:`MAX_SHARE_OF_AVAILABLE` of the memory available when it
starts, nor more than :data:`MAX_MEGABYTES`, and carries RLIMIT_AS. Both end by themselves at the fault's deadline.
"""

from __future__ import annotations

import os

import psutil

from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.faults.owned import holder_argv, holders, spawn_holder, stop_holders
from opsready.targets.faults import Facts

MAX_WORKERS_PER_CORE = 4
MAX_SHARE_OF_AVAILABLE = 0.5
MAX_MEGABYTES = 8192
READY_TIMEOUT = 60.0  # touching gigabytes of memory on a busy machine takes a while


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) or 1


class HeldResourceFault(SandboxFault):
    """A resource fault kept in place by a holder process."""

    holder_kind = ""

    def holder_args(self) -> tuple[str, ...]:
        """Extra holder arguments."""
        return ()

    def inject(self, deadline: float) -> None:
        """Start the holder and wait until the pressure is on."""
        argv = holder_argv(self.holder_kind, self.sandbox.layout.state, self.fault_id, deadline, *self.holder_args())
        spawn_holder(argv, self.sandbox.layout.logs / "faults" / f"{self.fault_id}.log", READY_TIMEOUT)

    def revert(self, timeout: float) -> None:
        """Stop the holder and its children."""
        stop_holders(self.sandbox.layout.state, self.fault_id, timeout)

    def verify_reverted(self) -> Observation:
        """No process of the holder is left."""
        left = holders(self.sandbox.layout.state, self.fault_id)
        detail = f"holder pids still running: {[p.pid for p in left]}" if left else "no holder process left"
        return Observation(f"{self.spec.kind} ended", not left, float(len(left)), " processes", detail)


class CpuHog(HeldResourceFault):
    """Busy processes competing with the sandbox for the CPU."""

    holder_kind = "cpu"

    @property
    def workers(self) -> int:
        """Busy processes to run."""
        return int(self.spec.number("workers"))

    def holder_args(self) -> tuple[str, ...]:
        """How many busy processes."""
        return ("--workers", str(self.workers))

    def prepare(self) -> Facts:
        """Refuse more than the hard bound of busy processes per core."""
        limit = MAX_WORKERS_PER_CORE * cores()
        if self.workers > limit:
            raise TargetError(f"cpu-hog: {self.workers} workers exceed the bound of {limit} on {cores()} core(s)")
        return ()

    def describe(self) -> str:
        """What would happen."""
        return (
            f"run {self.workers} busy process(es) on the host of the {self.where} ({cores()} cores) until the "
            "time limit; the revert kills them"
        )


class MemoryPressure(HeldResourceFault):
    """A process that allocates and keeps a share of the host's memory resident."""

    holder_kind = "memory"

    def megabytes(self) -> int:
        """The amount to hold: the share of total memory, within the hard bounds (fixed once prepared)."""
        recorded = self.facts.get("megabytes")
        if recorded:
            return int(recorded)
        if self.spec.number("share") == 0:
            return 0  # the harmless control run: a holder that holds nothing
        memory = psutil.virtual_memory()  # total and available as /proc/meminfo's MemTotal and MemAvailable
        wanted = self.spec.number("share") * memory.total / 2**20
        bound = min(MAX_MEGABYTES, MAX_SHARE_OF_AVAILABLE * memory.available / 2**20)
        return max(1, int(min(wanted, bound)))

    def holder_args(self) -> tuple[str, ...]:
        """How much memory."""
        return ("--megabytes", str(self.megabytes()))

    def prepare(self) -> Facts:
        """Fix the amount now, within the bounds."""
        return (("megabytes", str(self.megabytes())),)

    def describe(self) -> str:
        """What would happen."""
        if self.megabytes() == 0:
            return (
                f"run a holder that holds no memory on the host of the {self.where} (0%: harmless) until the time limit"
            )
        return (
            f"hold {self.megabytes()} MB resident ({self.spec.number('share'):.0%} of memory, at most "
            f"{MAX_SHARE_OF_AVAILABLE:.0%} of what is available and {MAX_MEGABYTES} MB) on the host of the "
            f"{self.where}; the revert frees it"
        )
