"""The capacity finder: the highest throughput the target sustains while meeting the thresholds (the knee).

Each step offers a paced load (``users`` x ``pacing`` requests per second) for a while and passes when users got at
least ``sustain`` of it and every latency and error threshold held. Throughput minimums (``rps``, ``requests``) are
not checked here: the offered load is what the finder varies. The search doubles the load from ``start`` until a
step fails twice in a row (a single failure may be a hiccup of a shared machine, and this failure bounds everything
after it), then bisects between the last pass and that failure until they are within ``resolution``: about
log2(limit/start) + log2(1/resolution) + 1 steps instead of a sweep's dozens. When the failed step was not
sustained, the throughput users still got is close to the capacity: the bisection probes just below it first, and
just above, which usually brackets the knee within ``resolution`` in two steps.

In ``loadtests/capacity.yaml``::

    finder:
      profile: finder          # users and locust processes (profiles.yaml); pacing is set per step
      start: 10                # first offered load, requests per second
      limit: 2000              # never offer more
      step_duration: 10s
      warmup: 2s               # the start of each step is not judged
      resolution: 5%
      sustain: 95%
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from opsready.capacity.measured import CapacityResult, LoadStep, ResourceEstimate
from opsready.capacity.thresholds import Threshold, Thresholds
from opsready.errors import TargetError, ValidationError
from opsready.yamlsrc import MapReader

THROUGHPUT_METRICS = ("rps", "requests")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FinderSettings:
    """How the finder searches."""

    profile: str = "finder"
    start: float = 10.0
    limit: float = 2000.0
    step_duration: float = 10.0
    warmup: float = 1.0
    resolution: float = 0.10
    sustain: float = 0.95


def parse_finder(r: MapReader | None) -> FinderSettings:
    """The ``finder`` section of a capacity file (defaults when absent)."""
    if r is None:
        return FinderSettings()
    d = FinderSettings()
    settings = FinderSettings(
        profile=r.string("profile", d.profile),
        start=r.number("start", d.start),
        limit=r.number("limit", d.limit),
        step_duration=r.duration("step_duration", d.step_duration),
        warmup=r.duration("warmup", d.warmup),
        resolution=r.percent("resolution", d.resolution),
        sustain=r.percent("sustain", d.sustain),
    )
    if not 0 < settings.start <= settings.limit:
        raise ValidationError("finder: 'start' must be greater than 0 and not above 'limit'", r.loc_of("start"))
    if settings.warmup >= settings.step_duration:
        raise ValidationError("finder: 'warmup' must be shorter than 'step_duration'", r.loc_of("warmup"))
    if not 0 < settings.resolution < 1:
        raise ValidationError("finder: 'resolution' must be between 0% and 100%", r.loc_of("resolution"))
    r.done()
    return settings


def finder_thresholds(thresholds: Thresholds) -> tuple[Threshold, ...]:
    """The general thresholds the finder holds each step to (latency and errors; not throughput minimums)."""
    return tuple(t for t in thresholds.for_phase("run") if t.expr.metric not in THROUGHPUT_METRICS)


def search(
    measure: Callable[[float], LoadStep], settings: FinderSettings, progress: Progress | None = None
) -> tuple[LoadStep | None, bool, tuple[LoadStep, ...]]:
    """Double, then bisect; returns (best passing step, whether the limit was reached passing, every step)."""
    steps: list[LoadStep] = []

    def run(offered: float) -> LoadStep:
        step = measure(offered)
        steps.append(step)
        if progress is not None:
            verdict = "ok" if step.ok else ("not sustained" if not step.sustained else "; ".join(step.violations))
            progress(f"offered {offered:.1f}/s: achieved {step.achieved_rps:.1f}/s, {verdict}")
        return step

    best: LoadStep | None = None
    failed: LoadStep | None = None
    offered = settings.start
    while failed is None:
        step = run(offered)
        if not step.ok:
            step = run(offered)  # one failure may be a hiccup of a shared machine; halving on it costs the most
        if not step.ok:
            failed = step
        else:
            best = step
            if offered >= settings.limit:
                return best, True, tuple(steps)
            offered = min(offered * 2, settings.limit)
    if best is None:
        return None, False, tuple(steps)
    low, high = best.offered_rps, failed.offered_rps
    hint = _overload_hint(failed, low, high, settings)
    while (high - low) / low > settings.resolution:
        probe = hint if hint is not None else (low + high) / 2
        step = run(probe)
        if step.ok:
            best, low = step, probe
            # right below what overload delivered: the knee is likely within one resolution above
            hint = low * (1 + settings.resolution) if hint is not None and probe == hint else None
            if hint is not None and hint >= high:
                hint = None
        else:
            high, hint = probe, None
    return best, False, tuple(steps)


def _overload_hint(failed: LoadStep, low: float, high: float, settings: FinderSettings) -> float | None:
    """Where to probe first: just below the throughput users still got when the load was not sustained.

    A paced load beyond capacity is served at about the capacity, so that throughput is the best first guess; a step
    that failed on latency or errors while sustained says nothing of it, and bisection starts in the middle.
    """
    if failed.sustained:
        return None
    guess = max(failed.achieved_rps * (1 - settings.resolution / 2), low * (1 + settings.resolution))
    return guess if guess < high else None


def find_capacity(
    measure: Callable[[float], LoadStep],
    settings: FinderSettings,
    *,
    target: str,
    units: int,
    users: int,
    thresholds: tuple[Threshold, ...],
    progress: Progress | None = None,
) -> CapacityResult:
    """Search for the knee and describe it, with the resources used there and the estimate derived from them."""
    began = time.monotonic()
    best, limited, steps = search(measure, settings, progress)
    if best is None:
        first = steps[0]
        why = "; ".join(first.violations) or f"only {first.achieved_rps:.1f}/s achieved"
        raise TargetError(f"the thresholds were not met even at the starting load of {settings.start:g}/s: {why}")
    estimate = ResourceEstimate.at(best.achieved_rps, best.resources) if best.resources is not None else None
    return CapacityResult(
        target=target,
        measured_at=datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        knee_rps=best.achieved_rps,
        knee_offered_rps=best.offered_rps,
        limited=limited,
        units=units,
        users=users,
        steps=steps,
        resources=best.resources,
        estimate=estimate,
        seconds=time.monotonic() - began,
        thresholds=tuple(t.describe() for t in thresholds),
    )
