"""The cost of one host operation over SSH vs the same operation run directly on this machine.

One operation is ``uname -n`` through testinfra's ``host.run`` (what every host check does underneath), timed end to
end from the caller: locally through testinfra's local backend, and on a test-fleet host through opsready's SSH
connection (testinfra's ssh backend with the time-limit wrapper), once over a shared master connection
(ControlMaster/ControlPersist: the login is paid once) and once with a fresh login per command. The three kinds run
interleaved, so load on a shared machine hits them alike. Needs root (the fleet lives in namespaces).

    python benchmarks/bench_ssh.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from _common import ROOT, summary

sys.path.insert(0, str(ROOT / "tests"))

from fleet.fleet import Fleet
from fleet.needs import fleet_unavailable

from opsready.hosts import HostConnection, SshSettings, connect, parse_host_spec


def timed(operation: Callable[[], object]) -> float:
    """Seconds one call of ``operation`` took."""
    started = time.perf_counter()
    operation()
    return time.perf_counter() - started


def main() -> int:
    """Build a fleet, time the three kinds of run, print medians and ratios, tear the fleet down."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    reason = fleet_unavailable()
    if reason:
        print(f"skipped: no test fleet: {reason}")
        return 0
    import testinfra

    local = testinfra.get_host("local://")
    fleet = Fleet().build()
    conns: list[HostConnection] = []
    try:
        settings = SshSettings(fleet.known_hosts, fleet.ssh_config, control_dir=fleet.control_dir)
        shared = connect(parse_host_spec(fleet.spec("app1")), settings)
        fresh = HostConnection(parse_host_spec(fleet.spec("app2")), replace(settings, control_persist=None))
        conns += [shared, fresh]
        kinds: dict[str, Callable[[], object]] = {
            "local (testinfra local backend)": lambda: local.run("uname -n"),
            "ssh, shared master connection": lambda: shared.run("uname -n"),
            "ssh, fresh login per command": lambda: fresh.run("uname -n"),
        }
        samples: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(args.runs):
            for name, operation in kinds.items():
                samples[name].append(timed(operation))
    finally:
        for conn in conns:
            conn.close()
        problems = fleet.teardown()
    base = statistics.median(samples["local (testinfra local backend)"])
    for name, values in samples.items():
        ms = [v * 1000 for v in values]
        print(f"{summary(name, ms, 'ms')}; ratio to local {statistics.median(values) / base:.1f}x")
    if problems:
        print(f"fleet teardown problems: {problems}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
