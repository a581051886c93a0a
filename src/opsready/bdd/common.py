"""Steps every feature uses: the target's health and release, background traffic, the drill context.

Steps hand each other typed state, never a bag of string keys: :class:`Drill` holds what steps of several features
share (background traffic, the data counted), and each area has its own per-scenario state fixture
(``incident_state``, ``capacity_state``, ``deployment_state``, ``maintenance_drill``, ``trouble``) or a pytest-bdd
``target_fixture`` (``experiment_result``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then

from opsready.config import Config
from opsready.probes import http, platform
from opsready.profile import DataCount
from opsready.safety import EntryPoint
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic, TrafficReport

ENOUGH_TRAFFIC = 20  # requests: fewer say too little about what users saw


@dataclass
class Drill:
    """What steps of several features hand to each other in one scenario (per test)."""

    traffic: Traffic | None = None
    traffic_report: TrafficReport | None = None
    data: DataCount | None = None

    @property
    def counted(self) -> DataCount:
        """The service's data as counted earlier in the scenario (the profile's count and checksum)."""
        assert self.data is not None, "the data was not counted before"
        return self.data

    def stop_traffic(self) -> TrafficReport:
        """Stop background traffic (once) and keep what users saw."""
        if self.traffic_report is None:
            assert self.traffic is not None, "no background traffic was started in this scenario"
            self.traffic_report = self.traffic.stop()
        return self.traffic_report


@pytest.fixture
def drill() -> Drill:
    """The scenario's shared context."""
    return Drill()


def ensure_release(target: Target, version: str, after: str | None = None) -> None:
    """Bring the target to ``version`` (via ``after`` first, so the history has that previous release)."""
    if after is not None and target.current_release() != after:
        target.deploy(after, "deploy", "drill setup")
    if target.current_release() != version or (after is not None and target.history()[-1].previous != after):
        target.deploy(version, "deploy", "drill setup")


@given("the target is healthy")
def target_is_healthy(target: Target) -> None:
    """Readiness passes and every component runs."""
    from opsready.probes.readiness import wait_healthy

    wait_healthy(target, 30.0)
    processes = platform.processes(target)
    assert processes.ok, processes.describe()


@given(parsers.parse('the target runs release "{version}" after "{previous}"'))
def target_runs_release_after(target: Target, version: str, previous: str) -> None:
    """The target serves ``version``, deployed over ``previous``."""
    ensure_release(target, version, after=previous)
    assert target.current_release() == version


@given(parsers.parse('the target runs release "{version}"'))
def target_runs_release(target: Target, version: str) -> None:
    """The target serves ``version``."""
    ensure_release(target, version)
    assert target.current_release() == version


@given("background traffic is running")
def traffic_running(drill: Drill, background_traffic: Callable[..., Traffic]) -> None:
    """Users keep sending requests throughout the scenario (bounded, loopback only)."""
    drill.traffic = background_traffic()


@then(parsers.parse('the target serves release "{version}"'))
def serves_release(target: Target, version: str) -> None:
    """The version reported by the service itself."""
    observation = http.version(target, expect=version)
    assert observation.ok, observation.describe()
    assert target.current_release() == version


@then(parsers.parse("the users saw {count:d} failed requests"))
def users_saw_failures(drill: Drill, count: int) -> None:
    """Exactly ``count`` failed requests in the background traffic (and enough traffic to judge: after a procedure
    that took less than a second, users keep coming for a moment, up to 10 s, before the traffic stops)."""
    if drill.traffic is not None and drill.traffic_report is None:
        deadline = time.monotonic() + 10.0
        while drill.traffic.snapshot().total <= ENOUGH_TRAFFIC and time.monotonic() < deadline:
            time.sleep(0.1)
    report = drill.stop_traffic()
    assert report.total > ENOUGH_TRAFFIC, f"too little traffic to judge: {report.describe()}"
    assert report.failed == count, report.describe()


@then("user impact stayed within the deployment and the recovery")
def impact_within(drill: Drill, timeline: Timeline) -> None:
    """Failures users saw began after the bad release went live and ended once the target was healthy again."""
    report = drill.stop_traffic()
    impact = report.impact()
    deployed, healthy = timeline.first("deploy_started"), timeline.first("healthy")
    assert deployed is not None and healthy is not None, timeline.kinds()
    if impact is None:
        return
    first, last = (t - timeline.t0 for t in impact)
    timeline.mark("impact_started", f"first failed request at +{first:.2f} s", at=impact[0])
    timeline.mark("impact_ended", f"last failed request at +{last:.2f} s", at=impact[1])
    assert first >= deployed.at, f"users saw failures at +{first:.2f} s, before the deployment at +{deployed.at:.2f} s"
    assert last <= healthy.at, f"users still saw failures at +{last:.2f} s, after recovery at +{healthy.at:.2f} s"


__all__ = ["Config", "Drill", "drill"]


def entry_point(pytestconfig: pytest.Config) -> EntryPoint:
    """Which entry point of the safety rule this run is: the gate (``opsready gate``) or plain pytest."""
    return "gate" if pytestconfig.getoption("opsready_kind") == "gate" else "pytest"
