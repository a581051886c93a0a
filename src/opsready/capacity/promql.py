"""Capacity thresholds judged from the target's Prometheus while the load runs (``prometheus:`` in the capacity
file), beside the thresholds judged from what locust's users saw.

Each check is a PromQL analysis (:mod:`opsready.monitoring.analysis`): measured every ``interval`` from the start of
the load until it ends (at most ``count`` times), then judged: ``successful`` only when enough measurements met the
condition; a check that failed more often than its ``failure_limit``, or had no data (no series, NaN, Prometheus not
answering) more often than its ``inconclusive_limit`` or every time, does not hold the threshold. No data is never
success. Every query is asked of Prometheus before any load starts: one it rejects is a ConfigError at its line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from opsready.capacity.runner import LoadResult, LoadRun
from opsready.config.analysis import PromqlCheck
from opsready.monitoring.analysis import Analysis, Outcome, soak_judges

POLL = 0.25  # seconds between looks at whether a measurement is due


@dataclass(frozen=True)
class PromqlVerdict:
    """One PromQL threshold after the run: its outcome and the evidence."""

    name: str
    outcome: Outcome
    detail: str

    @property
    def ok(self) -> bool:
        """Held only when the analysis was successful (inconclusive is not success)."""
        return self.outcome == "successful"

    def describe(self) -> str:
        """One line: 'PromQL api-error-ratio: successful after 6 measurement(s): ... ok'."""
        return f"PromQL {self.detail} {'ok' if self.ok else 'NOT MET'}"


def prepare(target: object, checks: tuple[PromqlCheck, ...]) -> list[Analysis]:
    """The analyses of ``checks`` on ``target``'s Prometheus, every query checked by it first (none: no checks)."""
    return soak_judges(target, checks, what="the capacity file's PromQL thresholds")


def judge_while_running(run: LoadRun, analyses: list[Analysis]) -> tuple[LoadResult, tuple[PromqlVerdict, ...]]:
    """Measure each analysis when due while the load runs (from its start, after each check's ``initial_delay``),
    then wait for the load and conclude each (one measurement at the end if none was due before)."""
    for analysis in analyses:
        analysis.begin()
    while analyses and run.running():
        for analysis in analyses:
            if not analysis.done():
                analysis.observe()
        time.sleep(POLL)
    result = run.wait()
    verdicts = []
    for analysis in analyses:
        outcome = analysis.conclude()
        verdicts.append(PromqlVerdict(analysis.check.name, outcome, analysis.describe()))
    return result, tuple(verdicts)
