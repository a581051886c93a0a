"""PromQL analysis: judge a release from the team's Prometheus, the way Argo Rollouts' analysis templates do.

Each measurement is one instant query whose every series must meet the success condition:

- ``successful``: at least one series, and every value meets it;
- ``failed``: some value does not;
- ``inconclusive``: no series, a NaN value (``0/0`` of a quiet service), or Prometheus could not answer. No data is
  never success.

An analysis takes measurements every ``interval`` (at most ``count``). It has **failed** once more measurements failed
than ``failure_limit`` allows, is **inconclusive** once more were inconclusive than ``inconclusive_limit`` allows, or
when it ended without a single successful measurement, and is **successful** otherwise. During a deploy's soak an
analysis is a :class:`~opsready.triggers.SoakJudge`: failed or inconclusive, the release is rolled back, since a
release nobody could judge healthy is not kept. A single measurement is also the ``promql`` probe
(:mod:`opsready.probes.prometheus`) of checklists, steady-state hypotheses and troubleshooting trees.
"""

from __future__ import annotations

import functools
import json
import math
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from opsready.config.analysis import Condition, PromqlCheck
from opsready.errors import ConfigError, EnvironmentProblem, ProbeError
from opsready.monitoring.client import PrometheusClient, monitoring_of
from opsready.monitoring.rules import check_rules, promtool

Outcome = Literal["successful", "failed", "inconclusive"]
Decided = Literal["failed", "inconclusive"]


@dataclass(frozen=True)
class Measurement:
    """One query's answer judged: the outcome, each series' value, why, and when (monotonic clock)."""

    outcome: Outcome
    values: tuple[tuple[str, float], ...]
    detail: str
    at: float


def _series(labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    name = labels.get("__name__", "")
    return f"{name}{{{inner}}}" if name or inner else "result"


def measure(client: PrometheusClient, query: str, success: Condition) -> Measurement:
    """Ask Prometheus once and judge the answer against ``success``."""
    try:
        answer = client.query(query)
    except ProbeError as exc:
        return Measurement("inconclusive", (), exc.message, time.monotonic())
    at = time.monotonic()
    values = tuple((_series(labels), value) for labels, value in answer)
    if not values:
        return Measurement("inconclusive", (), "no data: the query returned no series", at)
    if any(math.isnan(v) for _, v in values):
        return Measurement("inconclusive", values, "no data: a series is NaN", at)
    misses = [f"{s} = {v:g}" for s, v in values if not success.holds(v)]
    if misses:
        return Measurement("failed", values, f"{success} not met: {'; '.join(misses[:3])}", at)
    return Measurement("successful", values, f"{success} met by {len(values)} series", at)


@dataclass
class Analysis:
    """The measurements of one PromQL trigger and its verdict; also a soak judge of :func:`opsready.triggers.watch`."""

    check: PromqlCheck
    client: PrometheusClient
    measurements: list[Measurement] = field(default_factory=list)
    _next: float | None = None  # when the next measurement is due (None: not started; see :meth:`begin`)

    def count(self, outcome: Outcome) -> int:
        """How many measurements had ``outcome``."""
        return sum(1 for m in self.measurements if m.outcome == outcome)

    def done(self) -> bool:
        """Whether the analysis has decided early, or took all its measurements."""
        c = self.check
        if self.count("failed") > c.failure_limit or self.count("inconclusive") > c.inconclusive_limit:
            return True
        return c.count is not None and len(self.measurements) >= c.count

    def verdict(self) -> Outcome:
        """The outcome of the measurements so far (before any, inconclusive)."""
        c = self.check
        if self.count("failed") > c.failure_limit:
            return "failed"
        if self.count("inconclusive") > c.inconclusive_limit or not self.count("successful"):
            return "inconclusive"
        return "successful"

    def begin(self, at: float | None = None) -> None:
        """Start the clock: the first measurement is due ``initial_delay`` after ``at`` (monotonic; default now).
        A measurement asked for before this starts the clock then."""
        self._next = (time.monotonic() if at is None else at) + self.check.initial_delay

    def restart(self) -> None:
        """Forget every measurement and start the clock now (a rolling deploy judges each batch afresh)."""
        self.measurements.clear()
        self.begin()

    def _due(self) -> float:
        if self._next is None:
            self.begin()
        assert self._next is not None
        return self._next

    def step(self) -> Measurement:
        """Take one measurement now."""
        m = measure(self.client, self.check.query, self.check.success)
        self.measurements.append(m)
        self._next = time.monotonic() + self.check.interval
        return m

    def run(self) -> Outcome:
        """Measure every interval until the analysis decides or has taken ``count`` measurements (count needed)."""
        if self.check.count is None:
            raise ValueError("a standalone analysis needs a count")
        while not self.done():
            time.sleep(max(0.0, self._due() - time.monotonic()))
            self.step()
        return self.verdict()

    def describe(self) -> str:
        """The verdict with its evidence, for a timeline or a report."""
        c, last = self.check, (self.measurements[-1].detail if self.measurements else "no measurement taken")
        return (
            f"{c.name}: {self.verdict()} after {len(self.measurements)} measurement(s): "
            f"{self.count('successful')} successful, {self.count('failed')} failed (limit {c.failure_limit}), "
            f"{self.count('inconclusive')} inconclusive (limit {c.inconclusive_limit}); last: {last}"
        )

    def observe(self) -> Decided | None:
        """Measure when due; ``failed``, or ``inconclusive`` past its limit, once the analysis has decided so."""
        if not self.done() and time.monotonic() >= self._due():
            self.step()
        outcome = self.verdict()
        if outcome == "failed" or (outcome == "inconclusive" and self.done()):
            return outcome
        return None

    def conclude(self) -> Outcome:
        """The soak ended: measure once if nothing was measured yet, then the verdict."""
        if not self.measurements:
            self.step()
        return self.verdict()


def check_queries(checks: tuple[PromqlCheck, ...], prometheus: str, timeout: float = 5.0) -> None:
    """Ask Prometheus to evaluate each query once; one it rejects is a :class:`ConfigError` at the query's line."""
    import httpx

    for check in checks:
        url = f"{prometheus.rstrip('/')}/api/v1/query"
        try:
            response = httpx.get(url, params={"query": check.query}, timeout=timeout)
        except httpx.HTTPError as exc:
            raise EnvironmentProblem(f"Prometheus at {prometheus} is unreachable ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if body.get("errorType") == "bad_data":
            raise ConfigError(
                f"PromQL check '{check.name}': Prometheus rejects the query: {body.get('error', '')}", check.query_loc
            )
        if response.status_code != 200 or body.get("status") != "success":
            raise EnvironmentProblem(
                f"Prometheus at {prometheus} answered HTTP {response.status_code}: {response.text[:200]}"
            )
        kind = body.get("data", {}).get("resultType")
        if kind != "vector":
            raise ConfigError(
                f"PromQL check '{check.name}': the query must give an instant vector, it gives a {kind}",
                check.query_loc,
            )


def soak_judges(
    target: object, checks: tuple[PromqlCheck, ...], what: str = "the PromQL rollback triggers"
) -> list[Analysis]:
    """The analyses a deploy's soak is judged by, with every query checked by the target's Prometheus.

    Without PromQL triggers there is nothing to ask (the default gate needs no Prometheus); with them, a target
    without monitoring is an :class:`EnvironmentProblem` raised before anything is deployed.
    """
    if not checks:
        return []
    endpoints, why = monitoring_of(target)
    if endpoints is None:
        name = getattr(target, "name", "")
        raise EnvironmentProblem(f"{what} need target '{name}''s Prometheus: {why}")
    check_queries(checks, endpoints.prometheus)
    client = PrometheusClient(endpoints.prometheus)
    return [Analysis(check, client) for check in checks]


_PROMTOOL_RULE = re.compile(r'rule (\d+), "opsready_check_\d+": (.*)$')


@functools.lru_cache(maxsize=256)
def promtool_parse_error(query: str) -> str | None:
    """What ``promtool check rules`` says of ``query`` as a rule's expression (None: it parses, or no promtool)."""
    if promtool() is None:
        return None
    rules = [{"record": "opsready_check_1", "expr": query}]
    with tempfile.TemporaryDirectory(prefix="opsready-promql-") as tmp:
        path = Path(tmp) / "queries.yaml"
        path.write_text(json.dumps({"groups": [{"name": "opsready", "rules": rules}]}), encoding="utf-8")
        errors = check_rules([path])
    for error in errors:
        match = _PROMTOOL_RULE.search(error.message)
        return match.group(2) if match is not None else error.message
    return None


def check_queries_offline(checks: tuple[PromqlCheck, ...]) -> None:
    """Parse each query with ``promtool check rules`` (no server needed); one it rejects is a :class:`ConfigError` at
    the query's line. Without promtool this checks nothing: the deploy still asks Prometheus itself."""
    for check in checks:
        error = promtool_parse_error(check.query)
        if error is not None:
            raise ConfigError(f"PromQL check '{check.name}': promtool rejects the query: {error}", check.query_loc)
