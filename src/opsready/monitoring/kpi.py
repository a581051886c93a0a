"""KPIs read from the target's Prometheus at the end of a run (``kpis:`` in opsready.yaml).

The availability KPI opsready computes from its own background traffic says what opsready's users saw; the one
Prometheus answers says what every user saw, as the team's monitoring counts it. The query is asked once, after
Prometheus has scraped every target since the run ended (``timestamp(up)``, waited for at most two scrape intervals;
the detail says when that was not enough), so the run's last requests are counted. Its ``$range`` reaches one scrape
interval further back than the run's start, so the last sample before the run's first request is in the window: a
counter's ``increase()`` needs a sample from before the requests it counts (the price: the requests of up to one
scrape interval before the run count too). The answer is judged like a PromQL analysis' measurement: no series, a
NaN or an unreachable Prometheus is inconclusive (the KPI has no data), never met.
"""

from __future__ import annotations

import math
import time

from opsready.config.kpis import KpiQuery, Kpis
from opsready.errors import ProbeError
from opsready.monitoring.analysis import measure
from opsready.monitoring.client import MonitoringEndpoints, PrometheusClient, monitoring_of
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


def settle(client: PrometheusClient, ended: float, within: float) -> bool:
    """Wait until Prometheus has scraped every target since ``ended`` (wall clock), at most ``within`` seconds;
    whether it has."""
    deadline = time.monotonic() + min(SETTLE_LIMIT, within)
    while not _scraped_since(client, ended):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


def _unmeasured(spec: KpiQuery, window: float, why: str) -> MeasuredKpi:
    return MeasuredKpi(spec.key, "prometheus", "inconclusive", None, str(spec.success), window, f"not measured: {why}")


def measure_kpi(
    spec: KpiQuery, endpoints: MonitoringEndpoints | None, window: float, off_reason: str = ""
) -> MeasuredKpi:
    """Ask the target's Prometheus ``spec``'s query over the run that just ended (``window`` seconds long) and judge
    the answer; without monitoring, or when Prometheus does not answer, the KPI is not measured and says why."""
    if endpoints is None:
        return _unmeasured(spec, window, off_reason or "the target has no monitoring")
    client = PrometheusClient(endpoints.prometheus)
    ended = time.time()
    try:
        scrape = client.cadence().scrape
    except ProbeError as exc:
        return _unmeasured(spec, window, exc.message)
    settled = settle(client, ended, 2 * scrape + 1.0)
    covered = scrape + window + (time.time() - ended)  # a scrape before the run, the run, the wait for its last scrapes
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
    endpoints, why = monitoring_of(target)
    return tuple(measure_kpi(spec, endpoints, window, why) for spec in kpis.queries)
