"""The deployment and rollback procedures of runbooks/deployment.md, rollback.md and emergency-deployment.md.

Each run records a timeline; durations (time to deploy, to detect a bad release, to roll back, until healthy) are
derived from it and held against the SLOs in opsready.yaml.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from opsready.checks import CheckRun
from opsready.config import Config
from opsready.deploy.checklist import load_checklist, run_checklist
from opsready.errors import DeployError, UsageError
from opsready.monitoring.analysis import Analysis, soak_judges
from opsready.probes.readiness import wait_healthy
from opsready.probes.usage import UsageJudge, UsageSource
from opsready.targets.protocol import Target
from opsready.targets.rolling import judged_deploy_of
from opsready.timeline import Timeline
from opsready.triggers import TriggerHit, judged, watch

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


DeployKind = Literal["deploy", "emergency"]
DeployResult = Literal["succeeded", "rolled_back"]


@dataclass(frozen=True)
class DeployOutcome:
    """How a deployment ended: ``succeeded`` or ``rolled_back`` (with the trigger that fired)."""

    version: str
    previous: str
    kind: DeployKind
    result: DeployResult
    pre: CheckRun
    post: CheckRun | None
    trigger: TriggerHit | None
    review: Path | None = None
    judged_by: UsageSource | None = None  # the error-rate and latency triggers' source: metrics or traffic


@dataclass(frozen=True)
class RollbackOutcome:
    """A manual rollback: from which release to which, and the validation after it."""

    from_version: str
    to_version: str
    post: CheckRun


class Procedures:
    """Deploy and roll back one target by the runbooks, recording a timeline."""

    def __init__(self, config: Config, target: Target, timeline: Timeline, progress: Progress = _quiet) -> None:
        self.config = config
        self.target = target
        self.timeline = timeline
        self.progress = progress

    def checklist(self, which: str, mandatory_only: bool = False) -> CheckRun:
        """Run the pre-deploy or post-deploy checklist."""
        paths = {
            "pre-deploy": self.config.deployment.pre_checklist,
            "post-deploy": self.config.deployment.post_checklist,
        }
        if which not in paths:
            raise UsageError(f"unknown checklist '{which}' (known: {', '.join(paths)})")
        checklist = load_checklist(self.config.resolve(paths[which]))
        self.progress(f"checklist {checklist.name}" + (" (mandatory items only)" if mandatory_only else ""))
        return run_checklist(checklist, self.target, mandatory_only)

    def deploy(self, version: str, emergency: bool = False, justification: str = "") -> DeployOutcome:
        """Pre-checks, switch, soak watching the rollback triggers, roll back automatically, post-checks."""
        if emergency and not justification.strip():
            raise UsageError("an emergency deployment needs a justification (--justification)")
        known = {r.version for r in self.target.releases()}
        if version not in known:
            raise UsageError(f"unknown release '{version}'; available: {', '.join(sorted(known))}")
        # validate both checklists before anything touches the target
        load_checklist(self.config.resolve(self.config.deployment.post_checklist))
        tl, slos, rules = self.timeline, self.config.slos, self.config.triggers
        # opt-in PromQL triggers: the target's Prometheus must answer and accept every query, before any change;
        # the emergency path skips the soak, and with it the analyses (one measurement right after the switch
        # would judge the old release's window)
        judges = [] if emergency else soak_judges(self.target, rules.prometheus)
        kind: DeployKind = "emergency" if emergency else "deploy"
        tl.mark("started", f"{kind} {version}")
        pre = self.checklist("pre-deploy", mandatory_only=emergency)
        if not pre.ok:
            raise DeployError(f"pre-deploy checklist failed, nothing was changed: {pre.summary()}")
        previous = self.target.current_release()
        soak = self.config.deployment.emergency_soak if emergency else rules.soak
        with UsageJudge.begin(self.target) as judge:
            tl.mark("deploy_started", f"{previous} -> {version}")
            self.progress(f"switching {previous} -> {version}")
            hit = self._switch(version, kind, justification, judges)
            if hit is None:
                tl.mark("deployed", version)
                tl.measure("time to deploy", "deploy_started", "deployed", slos.deploy_within)
                source = f"error rate and latency judged from {judge.describe()}"
                tl.mark("soak_started", f"rollback triggers for {soak:g} s; {source}")
                self.progress(f"watching rollback triggers for {soak:.0f} s; {source}")
                hit = watch(self.target, rules, judge, soak, judges)
            else:
                tl.mark("rollout_stopped", hit.evidence, at=hit.at)
        for analysis in judges:
            tl.mark("analysis", analysis.describe(), source="prometheus")
        post: CheckRun | None = None
        if hit is None:
            post = self.checklist("post-deploy", mandatory_only=emergency)
            if not post.ok:
                hit = TriggerHit("post_deploy_checklist", post.summary(), time.monotonic())
        if hit is not None:
            self.roll_back_after(hit, since="deployed" if tl.has("deployed") else "deploy_started")
            post = self.checklist("post-deploy")
        review = self._write_review(version, previous, justification, hit) if emergency else None
        tl.mark("finished")
        result: DeployResult = "rolled_back" if hit else "succeeded"
        return DeployOutcome(version, previous, kind, result, pre, post, hit, review, judge.source)

    def _switch(self, version: str, kind: DeployKind, note: str, judges: list[Analysis]) -> TriggerHit | None:
        """Switch the target to ``version``. A target that rolls out a few instances at a time is judged by the
        PromQL analyses while it does (their clock starts with the rollout and the soak carries on with them): the
        trigger that stopped the rollout half-way, or None."""
        rolling = judged_deploy_of(self.target) if judges else None
        if rolling is None:
            self.target.deploy(version, kind, note)
            return None
        for analysis in judges:
            analysis.restart()
        last: TriggerHit | None = None

        def verdict() -> str | None:
            nonlocal last
            hit = judged(judges)
            if hit is None:
                return None
            last = hit
            return hit.evidence

        _, stopped = rolling.deploy_judged(version, kind, note, verdict)
        if stopped is None:
            return None
        assert last is not None, "a rollout is stopped only on a verdict"
        return TriggerHit(last.trigger, stopped, last.at)

    def roll_back_after(self, hit: TriggerHit, since: str = "deployed") -> None:
        """The automatic rollback once a trigger fired: detected, rolled back, healthy, each measured (from
        ``since``: the switch, or the start of a rollout a trigger stopped half-way)."""
        tl, slos = self.timeline, self.config.slos
        tl.mark("detected", f"{hit.trigger}: {hit.evidence}", at=hit.at)
        tl.measure("time to detect", since, "detected", slos.detect_within)
        self.progress(f"rollback trigger {hit.trigger}: {hit.evidence}; rolling back")
        tl.mark("rollback_started", hit.trigger)
        record = self.target.rollback(f"automatic: {hit.trigger}")
        tl.mark("rolled_back", record.version)
        tl.measure("time to roll back", "detected", "rolled_back", slos.rollback_within)
        wait_healthy(self.target, slos.healthy_within)
        tl.mark("healthy", record.version)
        tl.measure("time until healthy", "rolled_back", "healthy", slos.healthy_within)
        tl.measure("time to recover", since, "healthy", slos.rollback_within)

    def rollback(self, reason: str) -> RollbackOutcome:
        """Manual rollback to the previous release, then the post-deploy checklist."""
        if not reason.strip():
            raise UsageError("say why you roll back (--reason): it goes into the release history")
        tl, slos = self.timeline, self.config.slos
        current = self.target.current_release()
        tl.mark("rollback_started", reason, source="manual")
        record = self.target.rollback(f"manual: {reason}")
        tl.mark("rolled_back", record.version)
        tl.measure("time to roll back", "rollback_started", "rolled_back", slos.rollback_within)
        wait_healthy(self.target, slos.healthy_within)
        tl.mark("healthy", record.version)
        tl.measure("time until healthy", "rolled_back", "healthy", slos.healthy_within)
        post = self.checklist("post-deploy")
        tl.mark("finished")
        return RollbackOutcome(current, record.version, post)

    def _write_review(self, version: str, previous: str, justification: str, hit: TriggerHit | None) -> Path:
        """An emergency deployment owes a follow-up review: write the item people must complete."""
        directory = self.config.resolve(self.config.deployment.reviews_dir)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"emergency-{stamp}-{version}.md"
        outcome = f"rolled back ({hit.trigger}: {hit.evidence})" if hit else "succeeded"
        lines = [
            f"# Follow-up review: emergency deployment of {version}",
            "",
            f"- Deployed: {previous} -> {version} at {stamp} on target `{self.target.name}`",
            f"- Justification: {justification}",
            f"- Outcome: {outcome}",
            "- Skipped: the soak period and non-mandatory checklist items (mandatory health checks ran)",
            "",
            "## Measured",
            *[f"- {m.describe()}" for m in self.timeline.measurements],
            "",
            "## To complete (owner: release manager, within 2 working days)",
            "- [ ] Was the emergency path justified? What made the standard path too slow?",
            "- [ ] Run the skipped checks now: `opsready check post-deploy`",
            "- [ ] Action items to avoid the next emergency deployment",
            "",
        ]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path
