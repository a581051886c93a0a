"""Faults on the test fleet's hosts: how fast ``opsready experiment run`` reverts them after SIGINT or SIGTERM, and
how late they end on the hosts by themselves when the harness and its watchdogs are killed.

On a fleet built for the run (needs root), each run injects two faults through ``opsready experiment run``: the
service stopped on app1 (ended on the host by its timer) and port 8080 rejected on app2 (nftables, its element timing
out in the host's kernel). (1) --runs times each of SIGINT and SIGTERM, alternating, 60 s limits: from the signal
until both instances answer again (polled every 20 ms from outside) and until the harness exits. (2) --runs times,
4 s limits, harness and both watchdogs SIGKILLed at once: how long after each fault's deadline its instance answers
again; ``opsready recover`` then closes the journal.

    python benchmarks/bench_host_faults.py [--runs 5]
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from _common import ROOT, on_fleet, summary

sys.path.insert(0, str(ROOT))

from tests.fleet.fleet import Fleet
from tests.fleet.host_fault_runs import Harness, Setup, experiment, opsready, setup
from tests.fleet.host_faults import http_status, leftovers
from tests.fleet.machine import WEB_PORT


def faults(limit: float) -> list[dict[str, object]]:
    """The two faults of every run."""
    return [
        {"name": "web-down", "kind": "service-stop", "params": {"host": "app1"}, "time_limit": f"{limit:g} seconds"},
        {
            "name": "port-closed",
            "kind": "port-reject",
            "params": {"host": "app2", "port": WEB_PORT},
            "time_limit": f"{limit:g} seconds",
        },
    ]


def serving(fleet: Fleet, host: str) -> bool:
    """Whether the host's instance answers its health check."""
    return http_status(f"http://{fleet.hosts[host].address}:{WEB_PORT}/healthz", timeout=0.5) == "200"


def signals(fleet: Fleet, env: Setup, runs: int) -> None:
    """Signal -> both faults gone on the hosts, and -> the harness exited."""
    gone: dict[str, list[float]] = {"SIGINT": [], "SIGTERM": []}
    exited: dict[str, list[float]] = {"SIGINT": [], "SIGTERM": []}
    for n in range(runs):
        for sig in (signal.SIGINT, signal.SIGTERM):
            # a short hold: chaostoolkit sleeps out a pause the signal lands just before (docs/chaos.md)
            harness = Harness(env, experiment(env.root / "signal.yaml", faults(60), hold=10))
            harness.wait_for("applied", 2)
            assert not serving(fleet, "app1") and not serving(fleet, "app2")
            time.sleep(0.3)  # into the pause, where the run spends the faults
            sent = time.monotonic()
            harness.proc.send_signal(sig)
            while not (serving(fleet, "app1") and serving(fleet, "app2")) and time.monotonic() - sent < 30:
                time.sleep(0.02)
            gone[sig.name].append(time.monotonic() - sent)
            code = harness.finish()
            exited[sig.name].append(time.monotonic() - sent)
            assert code == 128 + sig, harness.output
            print(
                f"run {n + 1} {sig.name}: faults gone {gone[sig.name][-1]:.2f} s, exited {exited[sig.name][-1]:.2f} s"
            )
    for name, values in gone.items():
        print(summary(f"{name} -> both faults gone on the hosts", values))
        print(summary(f"{name} -> harness exited", exited[name]))


def expiry(fleet: Fleet, env: Setup, runs: int, limit: float = 4.0) -> None:
    """Harness and watchdogs SIGKILLed: each fault's end on its host after its deadline."""
    late: dict[str, list[float]] = {"app1 (service-stop, on-host timer)": [], "app2 (port-reject, kernel timeout)": []}
    for n in range(runs):
        harness = Harness(env, experiment(env.root / "expire.yaml", faults(limit), hold=120))
        applied = harness.wait_for("applied", 2)
        harness.kill(watchdogs=True)
        deadlines = dict(zip(("app1", "app2"), (float(r["deadline"]) for r in applied), strict=True))
        ended: dict[str, float] = {}
        while len(ended) < 2 and time.time() < max(deadlines.values()) + 15:
            for host in deadlines:
                if host not in ended and serving(fleet, host):
                    ended[host] = time.time()
            time.sleep(0.02)
        for values, host in zip(late.values(), deadlines, strict=True):
            values.append(ended.get(host, float("inf")) - deadlines[host])
        print(f"run {n + 1}: ended after the deadline by " + ", ".join(f"{v[-1]:.2f} s" for v in late.values()))
        done = opsready(env, "recover")
        assert done.returncode == 0, done.stdout + done.stderr
    for name, values in late.items():
        print(summary(f"{name}: ended after limit ({limit:g} s)", values))


def measure(fleet: Fleet, scratch: Path, runs: int) -> list[str]:
    """Both measurements on one fleet, then what of the faults is left on its hosts."""
    env = setup(fleet, scratch)
    signals(fleet, env, runs)
    expiry(fleet, env, runs)
    return list(leftovers(fleet))


if __name__ == "__main__":
    sys.exit(on_fleet(__doc__ or "", 5, measure))
