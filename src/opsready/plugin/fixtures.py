"""Fixtures of the plugin: configuration, the target (started for the session as the safety rule says), timeline,
traffic."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.bdd.common import entry_point
from opsready.config import Config, TargetConfig, load_config
from opsready.errors import OpsreadyError
from opsready.plugin.state import RUN_KEY, RunState
from opsready.profile import traffic_of
from opsready.safety import check_destructive, ensure_running
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic import Traffic


def _fail(exc: OpsreadyError) -> None:
    pytest.fail(exc.render(), pytrace=False)


@pytest.fixture(scope="session")
def opsready_config(pytestconfig: pytest.Config) -> Config:
    """The validated opsready.yaml (from --opsready-config, $OPSREADY_CONFIG, or rootdir and its parents)."""
    from opsready.config import find_config

    option = pytestconfig.getoption("opsready_config")
    try:
        path = Path(option) if option else find_config(pytestconfig.rootpath)
        return load_config(path)
    except OpsreadyError as exc:
        _fail(exc)
        raise


@pytest.fixture(scope="session")
def target_config(opsready_config: Config, pytestconfig: pytest.Config) -> TargetConfig:
    """The configured target this run drives (--target, else the default)."""
    try:
        return opsready_config.target(pytestconfig.getoption("opsready_target"))
    except OpsreadyError as exc:
        _fail(exc)
        raise


def _may_start(pytestconfig: pytest.Config) -> bool:
    old = pytestconfig.getoption("opsready_sandbox")
    if old is not None:
        warnings.warn(
            "--sandbox is deprecated: use --start-target=auto|never (--sandbox=use is --start-target=never)",
            DeprecationWarning,
            stacklevel=1,
        )
        return bool(old == "auto")
    return bool(pytestconfig.getoption("opsready_start_target") == "auto")


@pytest.fixture(scope="session")
def target(opsready_config: Config, target_config: TargetConfig, pytestconfig: pytest.Config) -> Iterator[Target]:
    """The system under test; the safety rule decides whether a stopped one is started (and stopped afterwards)."""
    from opsready.targets.registry import open_target

    try:
        tgt = open_target(opsready_config, target_config.name)
    except OpsreadyError as exc:
        _fail(exc)
        raise
    try:
        started = ensure_running(entry_point(pytestconfig), tgt, may_start=_may_start(pytestconfig))
    except OpsreadyError as exc:
        tgt.close()
        _fail(exc)
        raise
    try:
        _check_kpi_queries(opsready_config, tgt)
        pytestconfig.stash[RUN_KEY].target = tgt.describe()
        # known now, while the target is open: reports leave deployments of these out of the deployment KPI (a target
        # that cannot list its releases still runs its drills; every deployment then counts)
        with contextlib.suppress(OpsreadyError):
            pytestconfig.stash[RUN_KEY].training_releases = tuple(r.version for r in tgt.releases() if r.training)
        yield tgt
        _measure_kpis(opsready_config, tgt, pytestconfig.stash[RUN_KEY])
    finally:
        tgt.close()
        if started:
            tgt.stop()


def _check_kpi_queries(config: Config, target: Target) -> None:
    """Before the first test: a KPI query the target's Prometheus rejects fails the run at its line. Without
    monitoring, or with a Prometheus that does not answer, the run goes on and the KPI says it was not measured."""
    if not config.kpis.checks:
        return
    from opsready.errors import ConfigError, EnvironmentProblem
    from opsready.monitoring.analysis import check_queries
    from opsready.monitoring.client import monitoring_of

    endpoints, _ = monitoring_of(target)
    if endpoints is None:
        return
    try:
        check_queries(config.kpis.checks, endpoints.prometheus)
    except ConfigError as exc:
        _fail(exc)
    except EnvironmentProblem:
        return


def _measure_kpis(config: Config, target: Target, state: RunState) -> None:
    """The run is over (the last test has finished): ask the target's Prometheus the configured KPI queries."""
    if config.kpis.queries:
        from opsready.monitoring.kpi import measure_kpis

        state.measured_kpis = measure_kpis(config.kpis, target, time.monotonic() - state.started)


@pytest.fixture(autouse=True)
def _opsready_safety(request: pytest.FixtureRequest) -> None:
    """Apply the safety rule to a destructive scenario before it opens the target: refused without consent it skips;
    refused although --allow-destructive was given, it fails."""
    if request.node.get_closest_marker("destructive") is None:
        return
    config: Config = request.getfixturevalue("opsready_config")
    tcfg: TargetConfig = request.getfixturevalue("target_config")
    allowed = bool(request.config.getoption("opsready_allow_destructive"))
    try:
        check_destructive(config, tcfg, allowed, "destructive scenario", entry=entry_point(request.config))
    except OpsreadyError as exc:
        if allowed:
            pytest.fail(exc.message, pytrace=False)
        pytest.skip(exc.message)


@pytest.fixture
def timeline(request: pytest.FixtureRequest) -> Timeline:
    """The drill's timeline; it is written to the reports with the scenario's outcome."""
    tl = Timeline(request.node.name)
    request.config.stash[RUN_KEY].timelines[request.node.nodeid] = tl
    return tl


@pytest.fixture
def background_traffic(
    request: pytest.FixtureRequest, target: Target, timeline: Timeline
) -> Iterator[Callable[..., Traffic]]:
    """Start bounded background traffic against the target; it is stopped when the test ends (and reported)."""
    started: list[Traffic] = request.config.stash[RUN_KEY].traffic.setdefault(request.node.nodeid, [])

    def start(clients: int = 4, rate: float = 40.0, max_seconds: float = 120.0) -> Traffic:
        traffic = Traffic(
            target.base_url,
            clients=clients,
            rate=rate,
            max_seconds=max_seconds,
            timeline=timeline,
            journeys=traffic_of(target),
        )
        started.append(traffic.start())
        return traffic

    yield start
    for traffic in started:
        traffic.stop()
