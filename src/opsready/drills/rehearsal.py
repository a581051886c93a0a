"""Rollback rehearsal without a broken build: a synthetic flaw makes the candidate look bad, the real rollback ends it.

The flaw is a fault of the platform's own model (kind ``synthetic-flaw``, :mod:`opsready.targets.faults`), injected
through the chaos guard, so it is journaled before it applies and reverted on every outcome. It is tied to the
candidate's instances: once the rollback triggers fire and the target switches back, users stop seeing failures while
the flaw is still open in the journal; only then does the guard close it. A platform without that fault kind reports
the rehearsal as *not done*, never as passed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from opsready.chaos.readback import read_journal
from opsready.config import Config
from opsready.deploy.procedure import Procedures
from opsready.drills.candidate import CandidatePlan
from opsready.drills.faults import DrillFaults
from opsready.errors import Loc, ProbeError
from opsready.probes.usage import UsageJudge
from opsready.targets.faults import SYNTHETIC_FLAW, FaultInjectable, FaultSpec, parse_fault_spec
from opsready.targets.protocol import Say, Target, quiet
from opsready.timeline import Timeline
from opsready.triggers import TriggerHit, watch

RehearsalStatus = Literal["done", "not done"]
FLAW_NAME = "synthetic flaw"
DETECT_FOR = 30.0  # seconds the triggers get to see the flaw (the rollback SLO is minutes; this is the drill's bound)
HOLD = 3.0  # seconds users keep coming after the rollback while the flaw is still open


@dataclass(frozen=True)
class FlawRehearsal:
    """How the rehearsal went: whether it was done, the flaw (always synthetic), what fired, and the journal's word on
    the flaw at the rollback's completion and after the hold."""

    status: RehearsalStatus
    reason: str  # why it was not done; "" when done
    candidate: str
    previous: str
    spec: FaultSpec | None = None
    trigger: TriggerHit | None = None
    journal: Path | None = None
    open_at_rollback: bool = False  # journal status "applied" when the rollback had completed
    open_after_hold: bool = False  # still "applied" after users kept coming for HOLD seconds
    closed: bool = False  # the guard reverted it afterwards, and the journal says so
    synthetic: bool = field(default=True, init=False)

    def describe(self) -> str:
        """One line for the report: says the flaw was synthetic, never that the candidate was broken."""
        if self.status == "not done":
            return f"rollback rehearsal not done: {self.reason}"
        fired = f"{self.trigger.trigger} trigger ({self.trigger.evidence})" if self.trigger else "no trigger fired"
        spec = self.spec.describe() if self.spec else "?"
        return (
            f"synthetic flaw (not a defect of the candidate) on {self.candidate}: {spec}; {fired}; "
            f"rolled back to {self.previous} while the flaw was "
            f"{'still open' if self.open_at_rollback else 'NOT open'} in the journal; "
            f"{'then closed by the guard' if self.closed else 'the guard did not close it'}"
        )


def flaw_support(target: Target) -> str:
    """Why the target cannot carry a synthetic flaw, or "" when it can."""
    if not isinstance(target, FaultInjectable):
        return f"platform '{target.platform}' injects no faults"
    if SYNTHETIC_FLAW not in {k.name for k in target.fault_kinds()}:
        return f"platform '{target.platform}' offers no '{SYNTHETIC_FLAW}' fault kind to make the candidate look bad"
    return ""


def _status(journal: Path | None, fault_id: str) -> str:
    if journal is None:
        return "none"
    entry = read_journal(journal).fault(fault_id)
    return entry.status if entry is not None else "none"


def rehearse_flaw(
    config: Config,
    target: Target,
    timeline: Timeline,
    plan: CandidatePlan,
    *,
    error_share: float = 0.3,
    hold: float = HOLD,
    say: Say = quiet,
) -> FlawRehearsal:
    """Flaw the serving candidate, let the rollback triggers roll it back for real, keep the flaw open for ``hold``
    seconds of user traffic, then close it through the guard. Background traffic is the caller's (it measures)."""
    missing = flaw_support(target)
    if missing:
        timeline.mark("finished", f"rehearsal not done: {missing}")
        return FlawRehearsal("not done", missing, plan.candidate, plan.previous)
    assert isinstance(target, FaultInjectable)
    spec = parse_fault_spec(
        target.fault_kinds(),
        SYNTHETIC_FLAW,
        {"release": plan.candidate, "error_share": error_share},
        f"{DETECT_FOR + hold + 120:g}s",
        Loc("release-candidate gate"),
    )
    procedures = Procedures(config, target, timeline, progress=say)
    faults = DrillFaults(config, target, timeline, experiment="candidate-rollback-rehearsal", say=say)
    hit: TriggerHit | None = None
    open_at = open_after = False
    journal: Path | None = None
    fault_id = ""
    judge: UsageJudge | None = None
    try:
        judge = UsageJudge.begin(target)
        fault_id = faults.inject(FLAW_NAME, spec)
        journal = faults.journal
        # the candidate "goes bad" when the flaw applies: the rollback's measures count from here
        injected = timeline.last("injected")
        at = timeline.t0 + injected.at if injected is not None else None
        timeline.mark("deployed", f"{plan.candidate} flawed on purpose (synthetic, not a defect)", at=at)
        hit = watch(target, config.triggers, judge, DETECT_FOR)
        if hit is not None:
            procedures.roll_back_after(hit)
            open_at = _status(journal, fault_id) == "applied"
            time.sleep(hold)
            open_after = _status(journal, fault_id) == "applied"
    except ProbeError as exc:
        say(f"rehearsal: {exc.message}")
        raise
    finally:
        if judge is not None:
            judge.close()
        faults.close()
    closed = _status(journal, fault_id) == "reverted"
    return FlawRehearsal("done", "", plan.candidate, plan.previous, spec, hit, journal, open_at, open_after, closed)
