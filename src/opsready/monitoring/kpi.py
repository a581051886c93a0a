"""KPIs read from the target's Prometheus at the end of a run (``kpis:`` in opsready.yaml).

The availability KPI opsready computes from its own background traffic says what opsready's users saw; the one
Prometheus answers says what every user saw, as the team's monitoring counts it. The query covers the run
(``$range`` is the run's length) and is asked once, after Prometheus has scraped every target since the run ended
(``timestamp(up)``), so the run's last requests are counted; it waits at most two scrape intervals (two minutes at
most) and says so when that was not enough. The answer is judged like a PromQL analysis' measurement: no series, a
NaN or an unreachable Prometheus is inconclusive (the KPI has no data), never met.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from opsready.config.kpis import KpiQuery, Kpis
from opsready.errors import ProbeError
from opsready.monitoring.analysis import measure
from opsready.monitoring.client import Monitored, MonitoringEndpoints, PrometheusClient
from opsready.results import MeasuredKpi

SETTLE_LIMIT = 120.0  # seconds at most waited for the scrapes after the run's end
POLL = 0.5


def _scraped_since(client: PrometheusClient, moment: float) -> bool:
    """Whether every target's last scrape is at or after ``moment`` (wall clock, seconds)."""
    try:
        answer = client.query("min(timestamp(up))")
    except ProbeError:
        return False
    return bool(answer) and not math.isnan(answer[0][1]) and answer[0][1] >= moment


def settle(client: PrometheusClient, ended: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Wait until Prometheus has scraped every target since ``ended`` (wall clock), at most two scrape intervals;
    whether it has."""
    try:
        limit = min(SETTLE_LIMIT, 2 * client.cadence().scrape + 1.0)
    except ProbeError:  # not answering: the query will say so
        return False
    deadline = time.monotonic() + limit
    while not _scraped_since(client, ended):
        if time.monotonic() >= deadline:
            return False
        sleep(POLL)
    return True


def _unmeasured(spec: KpiQuery, window: float, why: str) -> MeasuredKpi:
    return MeasuredKpi(spec.key, "prometheus", "inconclusive", None, str(spec.success), window, f"not measured: {why}")


def measure_kpi(
    spec: KpiQuery, endpoints: MonitoringEndpoints | None, window: float, off_reason: str = ""
) -> MeasuredKpi:
    """Ask the target's Prometheus ``spec``'s query over the last ``window`` seconds (the run just ended) and judge
    the answer; without monitoring, the KPI is not measured and says why."""
    if endpoints is None:
        return _unmeasured(spec, window, off_reason or "the target has no monitoring")
    client = PrometheusClient(endpoints.prometheus)
    ended = time.time()
    settled = settle(client, ended)
    covered = window + (time.time() - ended)  # the run and the wait for its last scrapes
    query = spec.for_range(covered)
    m = measure(client, query, spec.success)
    value = min(v for _, v in m.values) if m.values and m.outcome != "inconclusive" else None
    late = "" if settled else "; not every target was scraped since the run ended (its last requests may be missing)"
    detail = f"{m.detail}{late}; query: {query}"
    return MeasuredKpi(spec.key, "prometheus", m.outcome, value, str(spec.success), covered, detail)


def measure_kpis(kpis: Kpis, target: object, window: float) -> tuple[MeasuredKpi, ...]:
    """Every configured KPI query, asked of ``target``'s Prometheus over the run that just ended (``window`` seconds
    long); none configured: nothing asked."""
    if not kpis.queries:
        return ()
    endpoints = target.monitoring() if isinstance(target, Monitored) else None
    why = target.monitoring_off_reason() if isinstance(target, Monitored) else "the platform has no monitoring"
    return tuple(measure_kpi(spec, endpoints, window, why) for spec in kpis.queries)
