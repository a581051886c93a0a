"""PromQL rollback triggers of opsready.yaml: a query, its success condition, and how many failed and inconclusive
measurements are tolerated, in the style of Argo Rollouts' analysis templates::

    rollback_triggers:
      prometheus:                      # opt-in: judged from the target's Prometheus during the soak
        - name: api-error-ratio
          query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
          success: result < 0.05       # every series of the answer must meet it
          failure_limit: 1             # failed measurements tolerated; one more fails the release
          inconclusive_limit: 2        # measurements without data tolerated; one more is inconclusive
          interval: 2s                 # time between measurements
          count: 5                     # measurements at most (default: as many as the soak holds)
          initial_delay: 0s            # before the first measurement (a rate needs two scrapes of new traffic)

Only the form is checked here; whether Prometheus parses the query is asked of Prometheus (or promtool) before
anything is deployed (:mod:`opsready.monitoring.analysis`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from opsready.errors import Loc, ValidationError
from opsready.yamlsrc import MapReader

Comparison = Literal["<", "<=", ">", ">=", "==", "!="]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_CONDITION = re.compile(r"^\s*result\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Condition:
    """``result OP number``: what each series' value must meet for a measurement to count as successful."""

    op: Comparison
    threshold: float

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the condition (NaN never does: callers treat it as no data)."""
        return not math.isnan(value) and _OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"result {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class PromqlCheck:
    """One PromQL rollback trigger, with the line of its query for error messages."""

    name: str
    query: str
    success: Condition
    failure_limit: int
    inconclusive_limit: int
    interval: float
    count: int | None
    loc: Loc
    query_loc: Loc
    initial_delay: float = 0.0  # seconds from the start of what is judged to the first measurement


def parse_condition(text: object, loc: Loc) -> Condition:
    """``result < 0.05`` and the like; anything else is a :class:`ValidationError` at ``loc``."""
    match = _CONDITION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(
            f"'success' must read 'result <op> <number>' (op one of {', '.join(_OPS)}), got {text!r}", loc
        )
    op: Comparison = match.group(1)  # type: ignore[assignment]  # the pattern admits only these
    return Condition(op, float(match.group(2)))


def _check(item: object, loc: Loc, seen: set[str], context: str) -> PromqlCheck:
    r = MapReader(item, loc, f"{context} item")
    name = r.string("name")
    if not _NAME.match(name):
        raise ValidationError(
            f"'name' must be lower-case letters, digits, '-', '_' or '.', got {name!r}", r.loc_of("name")
        )
    if name in seen:
        raise ValidationError(f"a PromQL trigger named '{name}' is already defined", r.loc_of("name"))
    seen.add(name)
    query = r.string("query")
    if not query.strip():
        raise ValidationError("'query' must not be empty", r.loc_of("query"))
    check = PromqlCheck(
        name=name,
        query=query.strip(),
        success=parse_condition(r.raw("success"), r.loc_of("success")),
        failure_limit=r.integer("failure_limit", 0, minimum=0),
        inconclusive_limit=r.integer("inconclusive_limit", 0, minimum=0),
        interval=r.duration("interval", 5.0),
        count=r.integer("count", None, minimum=1),
        loc=r.loc,
        query_loc=r.loc_of("query"),
        initial_delay=r.duration("initial_delay", 0.0),
    )
    if check.interval <= 0:
        raise ValidationError("'interval' must be greater than zero", r.loc_of("interval"))
    r.done()
    return check


def parse_promql_checks(
    r: MapReader, key: str = "prometheus", context: str = "rollback_triggers.prometheus"
) -> tuple[PromqlCheck, ...]:
    """The PromQL checks listed under ``key`` of a mapping (none when absent); ``context`` names the list in
    messages."""
    seen: set[str] = set()
    return tuple(_check(item, loc, seen, context) for item, loc in r.items(key, []))
