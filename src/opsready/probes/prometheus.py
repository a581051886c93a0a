"""The ``promql`` probe: one instant query of the target's Prometheus, judged by a success condition.

The same measurement as a PromQL rollback trigger's (:mod:`opsready.monitoring.analysis`), so checklists, chaos
steady-state hypotheses and troubleshooting trees can hold the team's own metrics to a condition. No data is never a
pass: a failed observation carries ``failed`` or ``inconclusive`` for trees to branch on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsready.config.analysis import Condition
from opsready.errors import Loc, ValidationError
from opsready.monitoring.analysis import measure, promtool_parse_error
from opsready.monitoring.client import PrometheusClient, monitoring_of
from opsready.observation import Observation
from opsready.targets.protocol import Target

ANSWERS = ("failed", "inconclusive")


def promql(target: Target, query: str, success: Condition) -> Observation:
    """Every series of ``query``'s answer meets ``success`` (no series, NaN or no Prometheus: inconclusive)."""
    endpoints, why = monitoring_of(target)
    if endpoints is None:
        return Observation("promql", False, "inconclusive", "", f"no Prometheus to ask: {why}")
    m = measure(PrometheusClient(endpoints.prometheus), query, success)
    if m.outcome != "successful":
        return Observation("promql", False, m.outcome, "", m.detail, at=m.at)
    worst = max(v for _, v in m.values) if success.op in ("<", "<=") else min(v for _, v in m.values)
    return Observation("promql", True, worst, "", m.detail, at=m.at)


def check_promql(arguments: Mapping[str, Any], loc: Loc) -> None:
    """A query promtool rejects is a :class:`ValidationError` at the arguments' line (without promtool: unchecked)."""
    error = promtool_parse_error(str(arguments["query"]))
    if error is not None:
        raise ValidationError(f"probe 'promql': promtool rejects the query: {error}", loc)
