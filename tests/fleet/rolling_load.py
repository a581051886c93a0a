"""Helpers of the rolling deploy tests and benchmark: the fleet put back as it was, and a rollout under load."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from opsready.hosts.adapter import HostsTarget
from opsready.targets.rolling import RolloutReport
from opsready.timeline import Timeline
from opsready.traffic import Traffic, TrafficReport

from .fleet import Fleet
from .machine import INITIAL_RELEASE, SERVICE
from .target import open_fleet_target, rolling_yaml

RATE = 64.0  # requests/s through the balancer, each in flight 300 ms: about twenty at any moment
SLOW = "/work?ms=300"


def reset(fleet: Fleet, target: HostsTarget) -> None:
    """Every server back in rotation, every app host on the first release with no history, serving."""
    for name in ("app1", "app2"):
        fleet.balancer.set_state(name, "ready")
        conn = target.connection(name)
        conn.check(
            f"ln -sfn /srv/app/releases/{INITIAL_RELEASE} /srv/app/current && rm -f /srv/app/.opsready-history.jsonl"
        )
        url = f"{target.options.instance_url(target.entry(name))}/version"
        with urllib.request.urlopen(url, timeout=5) as response:
            serving = response.read().decode().strip()
        if serving != INITIAL_RELEASE:
            conn.check(f"{target.options.supervisorctl} -c {target.options.supervisor_config} restart {SERVICE}")


def under_load(fleet: Fleet, target: HostsTarget, version: str) -> tuple[RolloutReport, TrafficReport, float, float]:
    """Roll ``version`` out while 24 clients send RATE requests/s through the balancer; (report, what users saw
    while it ran, its start and end)."""
    traffic = Traffic(fleet.balancer_url, clients=24, rate=RATE, max_seconds=60, paths=(SLOW,)).start()
    try:
        time.sleep(1.0)  # every client sending
        start = time.monotonic()
        report = target.roll_out(version, Timeline(f"deploy {version}"))
        end = time.monotonic()
        time.sleep(0.5)
    finally:
        seen = traffic.stop()
    return report, seen, start, end


def in_flight(seen: TrafficReport, at: float) -> int:
    """Requests the users had sent and not yet seen answered at ``at``."""
    return sum(1 for s in seen.samples if s.at <= at < s.at + s.latency)


def destructive_rolling(fleet: Fleet, tmp_path: Path, soak: str) -> Iterator[HostsTarget]:
    """The fleet as a rolling target with destructive runs allowed and the given soak (a fixture's body, used with
    ``yield from``); afterwards no lock left, put back as it was, closed."""
    target = open_fleet_target(fleet, tmp_path, rolling_yaml(fleet, soak=soak))
    config = tmp_path / "opsready.yaml"
    config.write_text(config.read_text() + "safety:\n  destructive_targets: [fleet]\n")
    try:
        yield target
    finally:
        try:
            target.clear_lock()
            reset(fleet, target)
        finally:
            target.close()
