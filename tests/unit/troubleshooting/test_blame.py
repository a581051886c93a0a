"""Which process group a CPU or memory diagnosis blames, from one measured host load (evidence.blame)."""

from __future__ import annotations

from opsready.targets.diagnostics import GroupLoad, HostLoad
from opsready.troubleshooting.evidence import MIN_HOG_CORES, blame

GB = 1024**3


def group(pgid: int, demand: float, rss_gb: float = 0.1, own: bool = False, command: str = "") -> GroupLoad:
    return GroupLoad(pgid, 1, min(demand, 2.0), demand, int(rss_gb * GB), command or f"prog{pgid}", own)


def load(*groups: GroupLoad) -> HostLoad:
    return HostLoad(1.0, 2, 8 * GB, groups)


def test_the_busiest_group_outside_the_target_is_blamed_for_cpu() -> None:
    culprit = blame(load(group(10, 3.0, own=True), group(20, 1.5), group(30, 4.2, command="stress")), "cpu")
    assert culprit is not None and (culprit.pgid, culprit.command) == (30, "stress"), culprit
    assert culprit.measure == "wants 4.2 of 2 cores"


def test_a_group_wanting_less_than_a_core_is_no_cpu_hog() -> None:
    """The search measures after the check: when the load has gone, nobody is blamed rather than the busiest idler."""
    assert blame(load(group(20, MIN_HOG_CORES - 0.05), group(30, 0.1)), "cpu") is None
    assert blame(load(group(20, MIN_HOG_CORES)), "cpu") is not None


def test_the_hosts_init_and_the_kernels_threads_are_never_blamed() -> None:
    """Process group 0 (kernel threads, a VM's init) and 1 are nobody's to stop, however busy or large."""
    assert blame(load(group(0, 5.0, rss_gb=6), group(1, 5.0, rss_gb=6)), "cpu") is None
    assert blame(load(group(0, 5.0, rss_gb=6), group(1, 5.0, rss_gb=6)), "memory") is None
    culprit = blame(load(group(0, 5.0, rss_gb=6), group(40, 1.2, rss_gb=0.5)), "memory")
    assert culprit is not None and culprit.pgid == 40 and culprit.measure == "512 MB resident"


def test_only_the_targets_own_groups_means_no_culprit() -> None:
    assert blame(load(group(10, 3.0, rss_gb=4, own=True)), "cpu") is None
    assert blame(load(group(10, 3.0, rss_gb=4, own=True)), "memory") is None
