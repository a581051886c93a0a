"""The availability KPI read from the target's Prometheus (``kpis.availability.prometheus``): the configuration's form
at its lines, the query over the run's span asked of a real Prometheus (successful, failed, no data, not measured
without monitoring, unreachable), and the KPI as reports and the terminal show it."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.config.analysis import Condition
from opsready.config.kpis import AVAILABILITY_SUCCESS, KpiQuery, Kpis
from opsready.durations import format_duration
from opsready.errors import ConfigError, Loc
from opsready.monitoring.client import MonitoringEndpoints, PrometheusClient
from opsready.monitoring.kpi import measure_kpi, measure_kpis, settle
from opsready.plugin.reporting import kpi_line
from opsready.processes import free_port
from opsready.report import load_schema, readiness_dict
from opsready.report.kpi import kpis
from opsready.results import MeasuredKpi, RunResult

from .demo_prometheus import NEEDS_PROMETHEUS, demo_prometheus, set_gauge

GAUGES: dict[str, float] = {"demo_failed_ratio": 0.0005, "demo_quiet_ratio": math.nan}
AVAILABILITY = "1 - max_over_time(demo_failed_ratio[$range])"
HEAD = "version: 1\ntargets:\n  sandbox: {platform: sandbox}\n"


def _spec(query: str = AVAILABILITY, success: Condition = AVAILABILITY_SUCCESS) -> KpiQuery:
    return KpiQuery("availability", query, success, Loc("opsready.yaml", 5), Loc("opsready.yaml", 7))


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with demo_prometheus(tmp_path_factory.mktemp("prometheus"), GAUGES, "demo_failed_ratio") as client:
        yield client


def _endpoints(client: PrometheusClient) -> MonitoringEndpoints:
    return MonitoringEndpoints(client.base_url, "http://127.0.0.1:9")


def test_the_section_reads_the_query_and_defaults_to_the_story_target(tmp_path: Path) -> None:
    path = tmp_path / "opsready.yaml"
    path.write_text(HEAD + f"kpis:\n  availability:\n    prometheus:\n      query: '{AVAILABILITY}'\n")
    spec = load_config(path).kpis.availability
    assert spec is not None and spec.success == Condition(">=", 0.999) and spec.query_loc.line == 7
    assert spec.for_range(12.2) == "1 - max_over_time(demo_failed_ratio[13s])"
    assert spec.for_range(0.0) == "1 - max_over_time(demo_failed_ratio[1s])"
    assert load_config(tmp_path / "opsready.yaml").kpis.queries == (spec,)
    (tmp_path / "bare.yaml").write_text(HEAD)
    assert load_config(tmp_path / "bare.yaml").kpis == Kpis()


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ("  availability:\n    prometheus:\n      query: 'up[$rnge]'\n", 7, "uses $rnge: the only variable is $range"),
        ("  availability:\n    prometheus:\n      query: '  '\n", 7, "'query' must not be empty"),
        ("  availability:\n    prometheus:\n      query: up\n      success: above 1\n", 8, "'success' must read"),
        ("  availabilty:\n    prometheus: {query: up}\n", 5, "unknown key 'availabilty' (did you mean"),
        ("  availability:\n    prometheus: {query: up, count: 3}\n", 6, "unknown key 'count'"),
        ("  availability:\n    prometheus: {}\n", 6, "missing required key 'query'"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, section: str, line: int, message: str) -> None:
    path = tmp_path / "opsready.yaml"
    path.write_text(HEAD + "kpis:\n" + section)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.loc is not None and caught.value.loc.line == line, caught.value.render()
    assert message in caught.value.message


@pytest.mark.monitoring
@NEEDS_PROMETHEUS
def test_settling_waits_for_a_scrape_of_every_target_after_the_end(prometheus: PrometheusClient) -> None:
    ended = time.time()
    assert settle(prometheus, ended, within=3.0)
    ((_, last),) = prometheus.query("min(timestamp(up))")
    assert last >= ended  # the last scrape of every target came after the run ended
    assert not settle(prometheus, time.time() + 60, within=1.0)  # a scrape that will not come: bounded, and said


@pytest.mark.monitoring
@NEEDS_PROMETHEUS
def test_availability_over_the_run_reaches_one_scrape_before_it(prometheus: PrometheusClient) -> None:
    set_gauge(prometheus, GAUGES, "demo_failed_ratio", 0.0005)
    asked = time.monotonic()
    measured = measure_kpi(_spec(), _endpoints(prometheus), window=4.0)
    waited = time.monotonic() - asked
    assert measured.outcome == "successful", measured.detail
    assert measured.value is not None and math.isclose(measured.value, 0.9995)
    # the window: one scrape interval (1 s) before the run, the run (4 s), and the wait for the last scrapes
    assert 5.0 <= measured.window <= 5.0 + waited + 0.1
    assert f"[{math.ceil(measured.window)}s]" in measured.detail
    row = kpis(RunResult("", "", 4.0, None, (), measured_kpis=(measured,)))[-1]
    assert (row.key, row.name, row.value, row.status, row.target) == (
        "availability_prometheus",
        "Availability (Prometheus)",
        "99.95 %",
        "met",
        "result >= 0.999",
    )


@pytest.mark.monitoring
@NEEDS_PROMETHEUS
def test_a_run_with_failures_misses_the_target(prometheus: PrometheusClient) -> None:
    set_gauge(prometheus, GAUGES, "demo_failed_ratio", 0.02)
    try:
        measured = measure_kpi(_spec(), _endpoints(prometheus), window=3.0)
    finally:
        set_gauge(prometheus, GAUGES, "demo_failed_ratio", 0.0005)
    assert measured.outcome == "failed" and measured.value is not None and math.isclose(measured.value, 0.98)
    row = kpis(RunResult("", "", 3.0, None, (), measured_kpis=(measured,)))[-1]
    assert (row.value, row.status) == ("98.00 %", "missed")
    line = re.escape(f"Availability (Prometheus): 98.00 % over {format_duration(measured.window)}, result >= 0.999")
    assert re.fullmatch(line + ": missed", kpi_line(measured)), kpi_line(measured)


@pytest.mark.monitoring
@NEEDS_PROMETHEUS
@pytest.mark.parametrize(
    ("query", "why"),
    [("1 - demo_quiet_ratio", "a series is NaN"), ("sum(rate(requests_of_nobody_total[$range]))", "no series")],
)
def test_no_data_is_no_data_never_met(prometheus: PrometheusClient, query: str, why: str) -> None:
    measured = measure_kpi(_spec(query), _endpoints(prometheus), window=2.0)
    assert (measured.outcome, measured.value) == ("inconclusive", None)
    assert why in measured.detail
    row = kpis(RunResult("", "", 2.0, None, (), measured_kpis=(measured,)))[-1]
    assert (row.value, row.status) == ("no data", "no data")


def test_without_monitoring_the_kpi_says_it_was_not_measured_and_why() -> None:
    class Unmonitored:
        def monitoring(self) -> None:
            return None

        def monitoring_off_reason(self) -> str:
            return "monitoring is off: prometheus is not installed"

    (measured,) = measure_kpis(Kpis(_spec()), Unmonitored(), 10.0)
    assert (measured.outcome, measured.value) == ("inconclusive", None)
    assert measured.detail == "not measured: monitoring is off: prometheus is not installed"
    assert measure_kpis(Kpis(), Unmonitored(), 10.0) == ()  # nothing configured: nothing asked
    (other,) = measure_kpis(Kpis(_spec()), object(), 10.0)
    assert other.detail == "not measured: target '?' has no monitoring"


def test_an_unreachable_prometheus_is_not_measured_without_waiting() -> None:
    asked = time.monotonic()
    measured = measure_kpi(_spec(), MonitoringEndpoints(f"http://127.0.0.1:{free_port()}", ""), window=5.0)
    assert time.monotonic() - asked < 15.0  # no settling wait for scrapes nobody will make (a 5 s timeout per ask)
    assert measured.outcome == "inconclusive" and measured.value is None
    assert (
        measured.detail.startswith("not measured: Prometheus at http://127.0.0.1:") and "unreachable" in measured.detail
    )


def test_readiness_json_carries_the_measured_kpi_and_validates() -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed in this environment")
    measured = MeasuredKpi("availability", "prometheus", "failed", 0.98, "result >= 0.999", 3.25, "not met")
    data = readiness_dict(RunResult("a", "b", 3.0, None, (), measured_kpis=(measured,)))
    assert data["monitored_kpis"] == [
        {
            "key": "availability",
            "source": "prometheus",
            "outcome": "failed",
            "value": 0.98,
            "condition": "result >= 0.999",
            "window": 3.25,
            "detail": "not met",
        }
    ]
    jsonschema.Draft202012Validator(load_schema()).validate(data)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_config_check_and_the_gate_reject_a_query_promtool_rejects_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "opsready.yaml"
    sandbox = "version: 1\ntargets:\n  sandbox: {platform: sandbox, state_dir: st, ports: auto}\n"
    path.write_text(sandbox + "kpis:\n  availability:\n    prometheus:\n      query: 'sum(rate(x[$range])'\n")
    env = {k: v for k, v in os.environ.items() if k != "OPSREADY_STATE_DIR"}  # the sandbox's state would be st/
    for command in (["config", "check"], ["gate"]):
        done = subprocess.run(
            [sys.executable, "-m", "opsready.cli", *command, "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
            cwd=tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert f"{path}:7: PromQL check 'kpis.availability': promtool rejects the query" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "st").exists() and not (tmp_path / "reports").exists()  # no sandbox started, no report
