"""The cost of one host operation over SSH vs the same operation run directly on this machine.

One operation is ``uname -n`` through testinfra's ``host.run`` (what every host check does underneath), timed end to
end from the caller: locally through testinfra's local backend, and on a test-fleet host through opsready's SSH
connection (testinfra's ssh backend with the time-limit wrapper), once over a shared master connection
(ControlMaster/ControlPersist: the login is paid once) and once with a fresh login per command. The three kinds run
interleaved, so load on a shared machine hits them alike. Needs root (the fleet lives in namespaces).

    python benchmarks/bench_ssh.py [--runs 30]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from _common import ROOT, on_fleet, summary

sys.path.insert(0, str(ROOT))

from opsready.hosts import HostConnection, SshSettings, connect, parse_host_spec
from tests.fleet.fleet import Fleet


def timed(operation: Callable[[], object]) -> float:
    """Seconds one call of ``operation`` took."""
    started = time.perf_counter()
    operation()
    return time.perf_counter() - started


def measure(fleet: Fleet, scratch: Path, runs: int) -> list[str]:
    """Time the three kinds of run, interleaved, and print medians and ratios."""
    import testinfra

    local = testinfra.get_host("local://")
    settings = SshSettings(fleet.known_hosts, fleet.ssh_config, control_dir=fleet.control_dir)
    shared = connect(parse_host_spec(fleet.spec("app1")), settings)
    fresh = HostConnection(parse_host_spec(fleet.spec("app2")), replace(settings, control_persist=None))
    try:
        kinds: dict[str, Callable[[], object]] = {
            "local (testinfra local backend)": lambda: local.run("uname -n"),
            "ssh, shared master connection": lambda: shared.run("uname -n"),
            "ssh, fresh login per command": lambda: fresh.run("uname -n"),
        }
        samples: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(runs):
            for name, operation in kinds.items():
                samples[name].append(timed(operation))
    finally:
        shared.close()
        fresh.close()
    base = statistics.median(samples["local (testinfra local backend)"])
    for name, values in samples.items():
        ms = [v * 1000 for v in values]
        print(f"{summary(name, ms, 'ms')}; ratio to local {statistics.median(values) / base:.1f}x")
    return []


if __name__ == "__main__":
    sys.exit(on_fleet(__doc__ or "", 30, measure))
