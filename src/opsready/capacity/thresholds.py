"""Capacity thresholds per endpoint and per phase, and checking measured statistics against them.

In ``loadtests/capacity.yaml``::

    thresholds:                # all endpoints together, every phase
      - p95 < 300ms
      - error_rate < 1%
    endpoints:                 # one endpoint (locust's "METHOD name"), every phase
      POST /orders:
        - p95 < 400ms
    phases:                    # one phase of a drill: replaces the general bound on the same metric and endpoint
      during:
        thresholds:
          - p95 < 1500ms
        endpoints:
          POST /orders: [p95 < 2s]

A threshold nobody measured (an endpoint or phase without requests) is not met: a claim needs evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.capacity.expressions import Expression, format_value, parse_expression
from opsready.capacity.results import PhaseStats
from opsready.errors import ValidationError
from opsready.yamlsrc import MapReader


@dataclass(frozen=True)
class Threshold:
    """One bound, for all endpoints together (``endpoint`` None) or one, in every phase or one (``phase``)."""

    expr: Expression
    endpoint: str | None = None
    phase: str | None = None

    @property
    def key(self) -> tuple[str | None, str, bool]:
        """What a phase-specific threshold replaces: same endpoint, metric and direction of bound."""
        return (self.endpoint, self.expr.metric, self.expr.upper)

    def describe(self) -> str:
        """'p95 < 300ms (POST /orders)'."""
        return f"{self.expr}" + (f" ({self.endpoint})" if self.endpoint else "")


@dataclass(frozen=True)
class Check:
    """A threshold checked against one phase's statistics."""

    threshold: Threshold
    phase: str
    measured: float | None
    ok: bool

    def describe(self) -> str:
        """'p95 < 300ms (POST /orders) in phase during: measured 812 ms VIOLATED'."""
        verdict = "ok" if self.ok else "VIOLATED"
        shown = format_value(self.threshold.expr.kind, self.measured)
        return f"{self.threshold.describe()} in phase {self.phase}: measured {shown} {verdict}"


@dataclass(frozen=True)
class Verdict:
    """Every check of a run."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every threshold was met (and at least one was checked)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def violations(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.ok)

    def describe(self) -> str:
        """One line per check."""
        return "\n".join(c.describe() for c in self.checks) or "no threshold was checked"


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of a capacity file."""

    items: tuple[Threshold, ...]

    def for_phase(self, phase: str) -> tuple[Threshold, ...]:
        """The thresholds that apply in ``phase``: its own, plus the general ones it does not replace."""
        own = [t for t in self.items if t.phase == phase]
        replaced = {t.key for t in own}
        general = [t for t in self.items if t.phase is None and t.key not in replaced]
        return tuple(general + own)

    def check(self, stats: PhaseStats) -> tuple[Check, ...]:
        """Check one phase's statistics."""
        checks = []
        for threshold in self.for_phase(stats.phase.name):
            scope = stats.total if threshold.endpoint is None else stats.endpoint(threshold.endpoint)
            measured = scope.value(threshold.expr.metric) if scope is not None else None
            ok = measured is not None and threshold.expr.holds(measured)
            checks.append(Check(threshold, stats.phase.name, measured, ok))
        return tuple(checks)

    def verdict(self, phases: tuple[PhaseStats, ...] | list[PhaseStats]) -> Verdict:
        """Check every phase."""
        return Verdict(tuple(c for p in phases for c in self.check(p)))


def _list(r: MapReader, key: str, endpoint: str | None, phase: str | None) -> list[Threshold]:
    if r.raw(key, None) is None:
        return []
    return [Threshold(parse_expression(text, loc), endpoint, phase) for text, loc in r.items(key)]


def _endpoints(r: MapReader, phase: str | None) -> list[Threshold]:
    section = r.optional_map("endpoints")
    if section is None:
        return []
    out: list[Threshold] = []
    for name in section.names():
        if len(name.split(" ", 1)) != 2:
            raise ValidationError(
                f"an endpoint is named 'METHOD name', like 'GET /products'; got '{name}'", section.loc_of(name)
            )
        out += _list(section, name, name, phase)
    return out


def parse_thresholds(r: MapReader) -> Thresholds:
    """The ``thresholds``, ``endpoints`` and ``phases`` keys of a capacity file."""
    items = _list(r, "thresholds", None, None) + _endpoints(r, None)
    phases = r.optional_map("phases")
    if phases is not None:
        for name in phases.names():
            p = phases.map(name, f"phases.{name}")
            items += _list(p, "thresholds", None, name) + _endpoints(p, name)
            p.done()
    return Thresholds(tuple(items))
