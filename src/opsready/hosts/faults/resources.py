"""CPU and memory pressure on one host, each in a cgroup of its own that bounds it (cgroup v1).

The fault makes ``<hierarchy>/opsready-fault-<fault id>`` in the host's cgroup v1 ``cpu`` or ``memory`` hierarchy
(found in the host's /proc/mounts), bounds it, and starts its processes inside it from its on-host timer
(:mod:`.timer`), each under ``timeout -s KILL <time limit>`` as well:

- ``cpu-hog``: ``workers`` busy loops (default: one per core of the host); ``cpu.cfs_quota_us`` lets the group use at
  most ``share`` of the host's CPUs, so the hog takes that much of the host and never more;
- ``memory-pressure``: one process (the host's python3) holding ``share`` of the host's memory resident, at most half
  of what is available when it is prepared and 8 GB; ``memory.limit_in_bytes`` (and ``memsw`` where there is one)
  caps the group at that plus a small margin, so it can never take more: the kernel stops it inside its group.

The revert ends the timer (and with it the processes), kills anything still in the group and removes the group;
the timer does the same by itself at the time limit. cgroup v2 (``cpu.max``, ``memory.max``) is not supported yet:
such a host is refused with a message saying so.
"""

from __future__ import annotations

import shlex
import time

from opsready.hosts.faults import timer
from opsready.hosts.faults.base import HostFault
from opsready.observation import Observation
from opsready.targets.faults import Facts

GROUP_PREFIX = "opsready-fault-"
PERIOD_US = 100_000
MAX_SHARE_OF_AVAILABLE = 0.5
MAX_MEGABYTES = 8192
MARGIN_MEGABYTES = 64  # the holder's interpreter, above what it holds
READY_TIMEOUT = 60.0  # touching gigabytes of memory on a busy host takes a while


def group_name(host: str, fault_id: str) -> str:
    """The fault's cgroup: named by the host too, so a sweep of one host knows its own groups even where hosts share
    a hierarchy (cgroup v1 has no namespaces: the test fleet's hosts all see the machine's)."""
    return f"{GROUP_PREFIX}{safe(host)}-{fault_id}"


def safe(name: str) -> str:
    """A host's name as part of a file name."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def hierarchy_command(controller: str) -> str:
    """Shell: prints where the host mounts the cgroup v1 hierarchy holding ``controller``."""
    return f'awk \'$3 == "cgroup" && ("," $4 ",") ~ /,{controller},/ {{ print $2; exit }}\' /proc/mounts'


class CgroupFault(HostFault):
    """Pressure held by processes in a cgroup of the fault's own."""

    controller = ""

    @property
    def group(self) -> str:
        """The fault's cgroup directory on the host (journaled when prepared)."""
        return self.facts.get("cgroup", "")

    def find_group(self) -> str:
        """Where the fault's cgroup goes; a refusal when the host has no cgroup v1 hierarchy for the controller."""
        mount = self.run(hierarchy_command(self.controller)).stdout.strip()
        if not mount.startswith("/"):
            v2 = self.run("awk '$3 == \"cgroup2\" { print $2; exit }' /proc/mounts").stdout.strip()
            why = f"only cgroup v2 at {v2}, which opsready does not support yet" if v2 else "no cgroup v1 hierarchy"
            raise self.refuse(f"the host has {why} for the {self.controller} controller")
        return f"{mount}/{group_name(self.host, self.fault_id)}"

    def bounds(self) -> str:
        """Shell: write the group's limits (each kind implements it)."""
        raise NotImplementedError

    def workers(self) -> tuple[int, str]:
        """How many processes, and the command each runs (each kind implements it)."""
        raise NotImplementedError

    def ready(self) -> str:
        """Shell: succeeds once the pressure is on (each kind implements it)."""
        raise NotImplementedError

    def place(self, deadline: float) -> None:
        """Make and bound the group, start the timer that starts the processes in it, wait until the pressure is on."""
        seconds = self.seconds_left(deadline)
        group = shlex.quote(self.group)
        count, command = self.workers()
        join = f"echo $$ > {group}/cgroup.procs && exec timeout --foreground -s KILL {seconds:.3f} {command}"
        effect = f"i=0; while [ $i -lt {count} ]; do sh -c {shlex.quote(join)} & i=$((i+1)); done"
        arm = timer.start(self.fault_id, seconds, self.cleanup(), effect)
        self.check(
            f"starting {self.spec.kind} in cgroup {self.group}", f"mkdir {group} && {self.bounds()} || exit 1\n{arm}"
        )
        limit = time.monotonic() + READY_TIMEOUT
        while not self.run(self.ready()).succeeded:
            if time.monotonic() > limit:
                raise self.refuse(f"the pressure was not on within {READY_TIMEOUT:g} s")
            time.sleep(0.1)

    def cleanup(self) -> str:
        """Shell: kill every process in the group and remove it (retried while its processes exit)."""
        group = shlex.quote(self.group)
        return (
            f"if [ -d {group} ]; then i=0; while [ $i -lt 50 ]; do "
            f"for p in $(cat {group}/cgroup.procs 2>/dev/null); do kill -KILL $p 2>/dev/null; done; "
            f"rmdir {group} 2>/dev/null && break; sleep 0.1; i=$((i+1)); done; fi; true"
        )

    def lift(self, timeout: float) -> None:
        """End the timer and whatever it started, then empty and remove the group."""
        if self.group:
            self.run(f"{timer.cancel(self.fault_id)}\n{self.cleanup()}", timeout)

    def verify_reverted(self) -> Observation:
        """No group, no process of it, no timer."""
        problems = []
        if self.group and self.run(f"[ -d {shlex.quote(self.group)} ]").succeeded:
            problems.append(f"cgroup {self.group} is still there")
        if self.timer_running():
            problems.append("its fault timer still runs")
        return self.observe(f"{self.spec.kind} ended", problems, "no fault cgroup, process or timer")

    def cores(self) -> int:
        """The host's CPUs."""
        out = self.run("nproc").stdout.strip()
        return int(out) if out.isdigit() and int(out) > 0 else 1


class CpuHog(CgroupFault):
    """Busy loops limited by a CFS quota to a share of the host's CPUs."""

    controller = "cpu"

    def describe(self) -> str:
        """What would happen."""
        workers = int(self.spec.number("workers")) or "one per core"
        return (
            f"run busy loops ({workers}) on host {self.host} in a cgroup of their own limited to "
            f"{self.spec.number('share'):.0%} of the host's CPUs, ending on the host after {self.spec.time_limit:g} s; "
            "the revert kills them and removes the cgroup"
        )

    def prepare(self) -> Facts:
        """Where the group goes, the host's cores, the workers and the quota."""
        cores = self.cores()
        workers = int(self.spec.number("workers")) or cores
        quota = max(1000, round(self.spec.number("share") * cores * PERIOD_US))
        return (("cgroup", self.find_group()), ("workers", str(workers)), ("quota_us", str(quota)))

    def bounds(self) -> str:
        """The CFS period and quota."""
        group = shlex.quote(self.group)
        quota = int(self.facts["quota_us"])
        return f"echo {PERIOD_US} > {group}/cpu.cfs_period_us && echo {quota} > {group}/cpu.cfs_quota_us"

    def workers(self) -> tuple[int, str]:
        """Busy shell loops."""
        return int(self.facts["workers"]), "sh -c 'while :; do :; done'"

    def ready(self) -> str:
        """Every worker is in the group (a worker is its `timeout` and its loop)."""
        return f"[ $(wc -l < {shlex.quote(self.group)}/cgroup.procs) -ge {2 * int(self.facts['workers'])} ]"


class MemoryPressure(CgroupFault):
    """One process holding a share of the host's memory, in a group capped just above it."""

    controller = "memory"

    def megabytes(self) -> int:
        """What the holder holds (fixed when prepared)."""
        return int(self.facts.get("megabytes", "0") or 0)

    def describe(self) -> str:
        """What would happen."""
        return (
            f"hold {self.spec.number('share'):.0%} of host {self.host}'s memory resident (at most "
            f"{MAX_SHARE_OF_AVAILABLE:.0%} of what is available and {MAX_MEGABYTES} MB) in a cgroup capped just above "
            f"it, ending on the host after {self.spec.time_limit:g} s; the revert frees it and removes the cgroup"
        )

    def prepare(self) -> Facts:
        """The amount, within the bounds, from the host's own /proc/meminfo; python3 must be on the host."""
        if not self.run("command -v python3 >/dev/null").succeeded:
            raise self.refuse("memory-pressure holds memory with python3, which is not on the host")
        meminfo = self.check("reading /proc/meminfo", "cat /proc/meminfo").stdout
        kb = {line.split(":")[0]: int(line.split()[1]) for line in meminfo.splitlines() if len(line.split()) >= 2}
        total, available = kb.get("MemTotal", 0) / 1024, kb.get("MemAvailable", 0) / 1024
        wanted = self.spec.number("share") * total
        megabytes = 0 if wanted == 0 else max(1, int(min(wanted, MAX_SHARE_OF_AVAILABLE * available, MAX_MEGABYTES)))
        return (("cgroup", self.find_group()), ("megabytes", str(megabytes)))

    def bounds(self) -> str:
        """The memory limit (and memory+swap, where the host accounts swap: the holder must stay resident)."""
        group = shlex.quote(self.group)
        limit = (self.megabytes() + MARGIN_MEGABYTES) * 2**20
        return (
            f"echo {limit} > {group}/memory.limit_in_bytes && "
            f"{{ [ ! -e {group}/memory.memsw.limit_in_bytes ] || echo {limit} > {group}/memory.memsw.limit_in_bytes; }}"
        )

    def workers(self) -> tuple[int, str]:
        """One python3 that fills its memory with ones (resident, not lazily zero) and sleeps."""
        code = f"import time\nheld = b'\\x01' * ({self.megabytes()} << 20)\ntime.sleep(1e6)"
        return 1, f"python3 -c {shlex.quote(code)}"

    def ready(self) -> str:
        """The group holds what it should (90 % of it: the page cache of the holder's start counts either way)."""
        want = int(0.9 * self.megabytes() * 2**20)
        group = shlex.quote(self.group)
        # a cgroup file's size reads 0 whatever it holds: `test -s` cannot tell
        return f'[ -n "$(cat {group}/cgroup.procs)" ] && [ $(cat {group}/memory.usage_in_bytes) -ge {want} ]'
