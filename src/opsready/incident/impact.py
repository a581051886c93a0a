"""User impact from background traffic: which requests users felt, and when the incident's impact began and ended.

Traffic is cut into one-second slices. A slice is *impacted* when a request in it failed, or when at least a quarter
of its answered requests (two at least) were slower than ``slow``: a lone slow request on a busy machine is not an
incident, a fault that slows every order is. Impacted slices at most one second apart
form a run; the incident's impact is every run that overlaps the incident (from the start of the injection to the
recovery). Its impact *began* when the first impacted request of those runs ended (users felt it then) and *ended*
with the start of the last one, so a drill can check that users were not already suffering before the fault and
were not still suffering once the monitor saw the target recovered. Impacted slices outside the incident are
counted as noise, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opsready.durations import format_duration
from opsready.traffic import Sample, TrafficReport

ImpactKind = Literal["failed requests", "slow requests", "none"]
FAILED: ImpactKind = "failed requests"
SLOW: ImpactKind = "slow requests"
NONE: ImpactKind = "none"
SLICE = 1.0
SLOW_SHARE = 0.25  # a slice is slow when at least this share of its answered requests was slow ...
SLOW_MIN = 2  # ... and at least this many
MAX_GAP = 1  # slices between two impacted ones that still count as one run


@dataclass(frozen=True)
class Impact:
    """What users felt during one incident (times on the monotonic clock)."""

    total: int
    failed: int
    slow: int
    slow_after: float
    began: float | None  # when the first impacted request of the incident ended
    ended: float | None  # when the last impacted request of the incident started
    noise: int = 0  # impacted requests outside the incident

    @property
    def kind(self) -> ImpactKind:
        """'failed requests' when any failed, else 'slow requests' when any was slow, else 'none'."""
        return FAILED if self.failed else SLOW if self.slow else NONE

    def describe(self, t0: float | None = None) -> str:
        """'12 of 340 requests failed and 3 were slower than 300 ms, from +4.2 s to +7.9 s (3.7 s)'."""
        if self.kind == NONE:
            text = f"none: {self.total} requests, none failed or slower than {format_duration(self.slow_after)}"
        else:
            parts = [f"{self.failed} of {self.total} requests failed"]
            if self.slow:
                parts.append(f"{self.slow} were slower than {format_duration(self.slow_after)}")
            text = " and ".join(parts)
            if self.began is not None and self.ended is not None:
                if t0 is not None:
                    text += f", from +{self.began - t0:.1f} s to +{self.ended - t0:.1f} s"
                text += f" ({format_duration(max(0.0, self.ended - self.began))})"
        return text + (f"; {self.noise} more outside the incident (noise)" if self.noise else "")


def _slices(report: TrafficReport, slow: float) -> dict[int, list[Sample]]:
    """Impacted slices and, for each, the requests in it users felt."""
    buckets: dict[int, list[Sample]] = {}
    for sample in report.samples:
        buckets.setdefault(int(sample.at // SLICE), []).append(sample)
    impacted: dict[int, list[Sample]] = {}
    for index, group in buckets.items():
        failed = [s for s in group if s.failed]
        slowed = [s for s in group if not s.failed and s.latency > slow]
        answered = len(group) - len(failed)
        felt = failed + (slowed if len(slowed) >= max(SLOW_MIN, SLOW_SHARE * answered) else [])
        if felt:
            impacted[index] = felt
    return impacted


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for index in sorted(indices):
        if runs and index - runs[-1][1] <= MAX_GAP + 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def measure_impact(report: TrafficReport, slow: float, start: float, end: float) -> Impact:
    """The impact of an incident from ``start`` to ``end`` (monotonic) in ``report`` (see the module docstring)."""
    impacted = _slices(report, slow)
    first, last = int(start // SLICE), int(end // SLICE)
    inside = [run for run in _runs(list(impacted)) if run[0] <= last and run[1] >= first]
    felt = [s for lo, hi in inside for i in range(lo, hi + 1) for s in impacted.get(i, [])]
    noise = sum(len(group) for group in impacted.values()) - len(felt)
    if not felt:
        return Impact(report.total, 0, 0, slow, None, None, noise)
    return Impact(
        total=report.total,
        failed=sum(1 for s in felt if s.failed),
        slow=sum(1 for s in felt if not s.failed),
        slow_after=slow,
        began=min(s.at + s.latency for s in felt),
        ended=max(s.at for s in felt),
        noise=noise,
    )
