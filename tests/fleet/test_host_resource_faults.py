"""CPU and memory pressure on one fleet host, bounded by a cgroup of its own: measured while on, gone after the
revert (no cgroup, no process: the processes are checked by pid on this machine). In make test's serial pass."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.hosts.adapter import HostsTarget

from .fleet import Fleet
from .host_faults import alive, fault, fault_groups, group_pids, leftovers, open_faults_target, timer_pids

pytestmark = pytest.mark.hosts
TICKS = 100  # clock ticks a second (USER_HZ)


@pytest.fixture
def target(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet as a fault-injecting target; afterwards nothing of any fault may be left."""
    if not Path("/sys/fs/cgroup/cpu/cgroup.procs").exists() or not Path("/sys/fs/cgroup/memory").is_dir():
        pytest.skip("this machine has no cgroup v1 cpu and memory hierarchies")
    opened = open_faults_target(fleet, tmp_path)
    try:
        yield opened
        assert all(o.ok for o in opened.fault_residue()), [o.describe() for o in opened.fault_residue()]
    finally:
        opened.close()
    assert not leftovers(fleet), leftovers(fleet)


def cpu_seconds(pids: set[int]) -> float:
    """User and system CPU time of ``pids`` so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def test_cpu_hog_takes_its_quota_of_the_host_and_no_more(fleet: Fleet, target: HostsTarget) -> None:
    """Two busy loops limited to 25% of the host's 2 CPUs use about half a core between them; the revert kills
    them (by pid) and removes the cgroup."""
    f = fault(target, "cpu-hog", {"host": "app2", "workers": 2, "share": "25%"})
    f.inject(time.time() + 30)
    (group,) = fault_groups()
    assert group.name.startswith("opsready-fault-app2-")
    assert (group / "cpu.cfs_quota_us").read_text().strip() == str(int(0.25 * len(_cpus()) * 100_000))
    pids = group_pids(group) | timer_pids(fleet)
    before, start = cpu_seconds(pids), time.monotonic()
    time.sleep(2.0)
    used = (cpu_seconds(pids) - before) / (time.monotonic() - start)
    quota = 0.25 * len(_cpus())
    assert 0.3 * quota < used <= 1.15 * quota, f"the hog used {used:.2f} cores, its quota is {quota:.2f}"
    f.revert(10)
    assert f.verify_reverted().ok
    assert not alive(pids), f"processes of the hog still run: {alive(pids)}"
    assert not fault_groups()


def _cpus() -> list[int]:
    import os

    return sorted(os.sched_getaffinity(0))


def test_memory_pressure_holds_its_share_in_a_capped_cgroup(fleet: Fleet, target: HostsTarget) -> None:
    """1% of the host's memory held resident, in a group capped 64 MB above it; the revert frees it."""
    f = fault(target, "memory-pressure", {"host": "db", "share": "1%"})
    megabytes = int(dict(f.prepare())["megabytes"])
    f.inject(time.time() + 30)
    (group,) = fault_groups()
    usage = int((group / "memory.usage_in_bytes").read_text())
    limit = int((group / "memory.limit_in_bytes").read_text())
    assert limit == (megabytes + 64) * 2**20
    assert 0.9 * megabytes * 2**20 <= usage <= limit
    pids = group_pids(group) | timer_pids(fleet)
    f.revert(10)
    assert f.verify_reverted().ok
    assert not alive(pids)
    assert not fault_groups()
