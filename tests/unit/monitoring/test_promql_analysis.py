"""PromQL rollback triggers judged from a real Prometheus (Debian's binary on a free loopback port, scraping a tiny
exporter this module runs): successful, failed past the failure limit and not at it, inconclusive on no data, and a
query with a syntax error reported at its line of opsready.yaml with exit code 2."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.config.analysis import Condition, PromqlCheck
from opsready.errors import ConfigError, Loc, ValidationError
from opsready.monitoring.analysis import Analysis, check_queries, check_queries_offline
from opsready.monitoring.client import MonitoringEndpoints, PrometheusClient
from opsready.probes.registry import PROBES, ProbeCall, parse_probe_call
from opsready.processes import free_port

from .demo_prometheus import NEEDS_PROMETHEUS, demo_prometheus, set_gauge

pytestmark = [pytest.mark.monitoring, NEEDS_PROMETHEUS]
GAUGES: dict[str, float] = {"demo_error_ratio": 0.01, "demo_idle_ratio": math.nan}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    """Prometheus on a free loopback port scraping this module's gauges every second."""
    with demo_prometheus(tmp_path_factory.mktemp("prometheus"), GAUGES, "demo_error_ratio") as client:
        yield client


def _set(client: PrometheusClient, value: float) -> None:
    """Set the exporter's error ratio and wait until Prometheus has scraped it (the wait is not what is measured)."""
    set_gauge(client, GAUGES, "demo_error_ratio", value)


def _check(query: str, **kw: object) -> PromqlCheck:
    base = PromqlCheck(
        name="error-ratio",
        query=query,
        success=Condition("<", 0.05),
        failure_limit=0,
        inconclusive_limit=0,
        interval=0.1,
        count=3,
        loc=Loc("opsready.yaml", 40),
        query_loc=Loc("opsready.yaml", 41),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_successful_when_every_measurement_meets_the_condition(prometheus: PrometheusClient) -> None:
    _set(prometheus, 0.01)
    analysis = Analysis(_check('demo_error_ratio{service="api"}'), prometheus)
    assert analysis.run() == "successful"
    assert [m.outcome for m in analysis.measurements] == ["successful"] * 3
    ((series, value),) = analysis.measurements[0].values
    assert value == 0.01 and series.startswith("demo_error_ratio{") and 'service="api"' in series
    assert analysis.conclude() == "successful"  # as a soak judge: keep the release


def test_failed_only_past_the_failure_limit(prometheus: PrometheusClient) -> None:
    """failure_limit 1: one failed measurement is tolerated, the second fails the analysis and the soak."""
    analysis = Analysis(_check("demo_error_ratio", failure_limit=1, count=None), prometheus)
    _set(prometheus, 0.2)
    assert analysis.step().outcome == "failed"
    assert analysis.observe() is None  # at the limit: not failed yet (and not yet due)
    _set(prometheus, 0.01)
    assert analysis.step().outcome == "successful"
    assert analysis.verdict() == "successful"
    _set(prometheus, 0.3)
    failed = analysis.step()
    assert failed.outcome == "failed"
    assert "result < 0.05 not met" in failed.detail and "= 0.3" in failed.detail
    assert analysis.verdict() == "failed"
    assert analysis.observe() == "failed"  # as a soak judge: roll back now
    assert "2 failed (limit 1)" in analysis.describe()
    _set(prometheus, 0.01)


def test_a_standalone_run_stops_at_the_measurement_past_the_limit(prometheus: PrometheusClient) -> None:
    _set(prometheus, 0.2)
    analysis = Analysis(_check("demo_error_ratio", failure_limit=2, count=10), prometheus)
    assert analysis.run() == "failed"
    assert len(analysis.measurements) == 3  # failure_limit + 1, not count
    _set(prometheus, 0.01)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ('demo_error_ratio{service="nowhere"}', "no data: the query returned no series"),
        ("demo_idle_ratio", "no data: a series is NaN"),
    ],
)
def test_no_data_is_inconclusive_never_success(prometheus: PrometheusClient, query: str, why: str) -> None:
    analysis = Analysis(_check(query, inconclusive_limit=1), prometheus)
    assert analysis.run() == "inconclusive"
    assert [m.outcome for m in analysis.measurements] == ["inconclusive"] * 2  # stopped past the limit
    assert analysis.measurements[-1].detail == why
    assert analysis.conclude() == "inconclusive"


def test_inconclusive_within_the_limit_but_never_successful_is_still_inconclusive(prometheus: PrometheusClient) -> None:
    analysis = Analysis(_check("absent_metric_of_nobody", inconclusive_limit=5, count=2), prometheus)
    assert analysis.run() == "inconclusive"
    assert len(analysis.measurements) == 2


def test_prometheus_unreachable_is_inconclusive() -> None:
    dead = PrometheusClient(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    analysis = Analysis(_check("up", count=1), dead)
    assert analysis.run() == "inconclusive"
    assert "unreachable" in analysis.measurements[0].detail


BAD = """\
version: 1
targets:
  sandbox: {platform: sandbox, state_dir: .opsready}
rollback_triggers:
  soak: 5s
  prometheus:
    - name: error-ratio
      query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
      success: result < 0.05
    - name: broken
      success: result < 0.05
      query: sum(rate(demo_error_ratio[1m])
      failure_limit: 1
"""


def test_a_syntax_error_is_reported_at_its_line(prometheus: PrometheusClient, tmp_path: Path) -> None:
    path = tmp_path / "opsready.yaml"
    path.write_text(BAD, encoding="utf-8")
    checks = load_config(path).triggers.prometheus
    assert [c.name for c in checks] == ["error-ratio", "broken"]
    with pytest.raises(ConfigError) as err:
        check_queries(checks, prometheus.base_url)
    assert str(err.value.loc) == f"{path}:12"
    assert "Prometheus rejects the query" in err.value.message and "parse error" in err.value.message
    assert err.value.exit_code == 2
    check_queries(checks[:1], prometheus.base_url)  # the good one passes
    with pytest.raises(ConfigError) as offline:
        check_queries_offline(checks)
    assert str(offline.value.loc) == f"{path}:12" and "parse error" in offline.value.message


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_config_check_exits_2_at_the_query_line(tmp_path: Path) -> None:
    path = tmp_path / "opsready.yaml"
    path.write_text(BAD, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "opsready.cli", "config", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{path}:12:" in run.stderr + run.stdout
    assert "parse error" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("      success: value < 0.05", "'success' must read 'result <op> <number>'"),
        ("      success: result < 0.05\n      failure_limt: 1", "unknown key 'failure_limt'"),
        ("      success: result < 0.05\n      interval: 0s", "'interval' must be greater than zero"),
        ("      success: result < 0.05\n      initial_delay: soon", "bad duration 'soon'"),
    ],
)
def test_the_form_is_checked_with_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "opsready.yaml"
    text = BAD.partition("    - name: broken")[0].replace("      success: result < 0.05\n", line + "\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in err.value.message
    assert str(err.value.loc).startswith(f"{path}:")
    assert err.value.loc is not None and err.value.loc.line >= 9


class _Monitored:
    """A target as the probe sees it: only where its Prometheus answers (None: it has no monitoring)."""

    name = "demo"

    def __init__(self, prometheus: str | None) -> None:
        self.prometheus = prometheus

    def monitoring(self) -> MonitoringEndpoints | None:
        return None if self.prometheus is None else MonitoringEndpoints(self.prometheus, "http://127.0.0.1:9")

    def monitoring_off_reason(self) -> str:
        return "" if self.prometheus else "monitoring is off"


def _probe(query: str, success: object = "result < 0.05") -> ProbeCall:
    return parse_probe_call("promql", {"query": query, "success": success}, Loc("tree.yaml", 3), Loc("tree.yaml", 4))


def test_the_promql_probe_holds_a_query_to_its_condition(prometheus: PrometheusClient) -> None:
    """The steady-state form: one measurement as an observation, failed and inconclusive as its answers."""
    _set(prometheus, 0.01)
    target = _Monitored(prometheus.base_url)
    good = _probe("demo_error_ratio").run(target)  # type: ignore[arg-type]  # only monitoring() is asked
    assert (good.ok, good.value) == (True, 0.01)
    bad = _probe("demo_error_ratio * 10").run(target)  # type: ignore[arg-type]
    assert (bad.ok, bad.value) == (False, "failed") and "= 0.1" in bad.detail
    empty = _probe("nothing_scraped_by_this_name").run(target)  # type: ignore[arg-type]
    assert (empty.ok, empty.value) == (False, "inconclusive")
    off = _probe("demo_error_ratio").run(_Monitored(None))  # type: ignore[arg-type]
    assert (off.ok, off.value, off.detail) == (False, "inconclusive", "no Prometheus to ask: monitoring is off")
    assert set(PROBES["promql"].answers) == {"failed", "inconclusive"}


def test_the_promql_probe_arguments_are_checked_at_their_line() -> None:
    with pytest.raises(ValidationError) as err:
        _probe("up", "result is fine")
    assert str(err.value.loc) == "tree.yaml:4" and "'success' must read" in err.value.message
    with pytest.raises(ValidationError) as missing:
        parse_probe_call("promql", {"success": "result > 0"}, Loc("tree.yaml", 3), Loc("tree.yaml", 4))
    assert "missing required key 'query'" in missing.value.message


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_the_promql_probe_query_is_parsed_at_load_time() -> None:
    with pytest.raises(ValidationError) as err:
        _probe("sum(rate(up[1m])")
    assert str(err.value.loc) == "tree.yaml:4" and "parse error" in err.value.message
    assert _probe("sum(rate(up[1m]))").probe == "promql"
