"""The ``kpis:`` section of opsready.yaml: operational KPIs read from the target's own Prometheus at the end of a run,
beside the ones opsready computes from what its own traffic saw::

    kpis:
      availability:
        prometheus:                  # opt-in: availability as the team's monitoring saw the run (every user's request)
          query: |                   # $range covers the run and a scrape interval before it ('765s')
            sum(increase(http_requests_total{code!~"5.."}[$range])) / sum(increase(http_requests_total[$range]))
          success: result >= 0.999   # every series must meet it (default: the story's target, 99.9 %)

Only the form is checked here (``$range`` is the only variable; PromQL itself has no ``$``); promtool parses the
query in ``opsready config check``, and Prometheus answers it at the end of a run (:mod:`opsready.monitoring.kpi`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from opsready.config.analysis import Condition, PromqlCheck, parse_condition
from opsready.errors import Loc, ValidationError
from opsready.yamlsrc import MapReader

KpiKey = Literal["availability"]  # the KPIs a target's monitoring may measure
RANGE = "$range"  # replaced by the seconds the query covers, e.g. '765s' (opsready.monitoring.kpi says which)
AVAILABILITY_SUCCESS = Condition(">=", 0.999)  # the operations story's target
_VARIABLE = re.compile(r"\$[A-Za-z_]*")


@dataclass(frozen=True)
class KpiQuery:
    """One KPI's PromQL query, its success condition, and where it was written."""

    key: KpiKey
    query: str
    success: Condition
    loc: Loc
    query_loc: Loc

    def for_range(self, seconds: float) -> str:
        """The query over the last ``seconds`` (rounded up to whole seconds, at least 1 s)."""
        return self.query.replace(RANGE, f"{max(1, math.ceil(seconds))}s")

    def as_check(self) -> PromqlCheck:
        """The query as a single-measurement PromQL check (over one minute), for promtool and Prometheus to parse."""
        return PromqlCheck(
            name=f"kpis.{self.key}",
            query=self.for_range(60),
            success=self.success,
            failure_limit=0,
            inconclusive_limit=0,
            interval=1.0,
            count=1,
            loc=self.loc,
            query_loc=self.query_loc,
        )


@dataclass(frozen=True)
class Kpis:
    """The KPIs to read from the target's Prometheus (none by default: the default gate needs no Prometheus)."""

    availability: KpiQuery | None = None

    @property
    def queries(self) -> tuple[KpiQuery, ...]:
        """Every configured KPI query."""
        return tuple(q for q in (self.availability,) if q is not None)

    @property
    def checks(self) -> tuple[PromqlCheck, ...]:
        """Every query as a PromQL check, for promtool and Prometheus to parse before anything runs."""
        return tuple(q.as_check() for q in self.queries)


def _query(key: KpiKey, r: MapReader, default: Condition) -> KpiQuery:
    query = r.string("query").strip()
    if not query:
        raise ValidationError("'query' must not be empty", r.loc_of("query"))
    unknown = sorted({v for v in _VARIABLE.findall(query) if v != RANGE})
    if unknown:
        raise ValidationError(
            f"'query' uses {', '.join(unknown)}: the only variable is {RANGE} (the run's span)", r.loc_of("query")
        )
    success = parse_condition(r.raw("success"), r.loc_of("success")) if r.has("success") else default
    spec = KpiQuery(key, query, success, r.loc, r.loc_of("query"))
    r.done()
    return spec


def parse_kpis(r: MapReader | None) -> Kpis:
    """The ``kpis:`` section (absent: no KPI read from Prometheus)."""
    if r is None:
        return Kpis()
    availability = r.optional_map("availability", "kpis.availability")
    spec = None
    if availability is not None:
        source = availability.optional_map("prometheus", "kpis.availability.prometheus")
        spec = _query("availability", source, AVAILABILITY_SUCCESS) if source is not None else None
        availability.done()
    r.done()
    return Kpis(availability=spec)
