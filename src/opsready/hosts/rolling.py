"""A rolling deploy through the load balancer, a batch of app hosts at a time.

For each batch: drain every host's server in HAProxy and wait until its requests in flight are done (bounded by
``rollout.drain_timeout``), switch the release on each host over SSH, check each instance directly (ready, on the
new release), put the servers back in rotation, then soak for ``rollout.soak`` while :mod:`opsready.hosts.soak`
watches the users' errors through the balancer and each switched instance, and the PromQL rollback triggers
(``rollback_triggers.prometheus``, judged afresh for every batch) ask the team's Prometheus. A trigger switches back
every host switched so far, newest first, each drained again first; a step that fails does the same and names the
host and the step. A host whose drain timed out is left drained (its requests still run on the old release) and
reported.

A host whose drain would leave no server in rotation (every other one is down by the balancer's health checks, or
drained) is not drained: it is switched in rotation, and the step says so (``draining`` with ``skipped: ...``), so users
keep being served; ``rollout.drain_last: true`` drains it anyway (a control run: users then get the balancer's 503s).
A host that cannot be switched back (SSH lost in the middle of a batch) is left drained, out of rotation, and the
error names it and what failed: the other hosts keep serving.

``rollout.drain: false`` switches in rotation, without draining: a control run that shows what draining saves users.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from opsready.errors import BalancerError, DeployError, HostError, RollbackError, TargetError
from opsready.hosts.gate import SERVING, BalancerGate, DrainTimeout
from opsready.hosts.instances import probe, wait_serving
from opsready.hosts.options import HostEntry, HostsOptions
from opsready.hosts.releases import HostReleases
from opsready.hosts.soak import Watch
from opsready.targets.protocol import Say
from opsready.targets.rolling import (
    BatchJudge,
    RolloutKind,
    RolloutReport,
    RolloutResult,
    RolloutStep,
    StepKind,
    TriggerHit,
)
from opsready.timeline import Timeline

StepFailure = (HostError, BalancerError, DrainTimeout)


class RollingDeploy:
    """One rolling deploy or rollback of a hosts target's app hosts."""

    def __init__(  # the judges are the rollout's, the rest the target's
        self,
        options: HostsOptions,
        releases: Callable[[HostEntry], HostReleases],
        timeline: Timeline,
        say: Say,
        judges: Sequence[BatchJudge] = (),
    ) -> None:
        assert options.haproxy is not None
        self.servers = options.haproxy.servers
        self.options = options
        self.rules = options.rollout
        self.releases = releases
        self.timeline = timeline
        self.say = say
        self.gate = BalancerGate(options.haproxy, options.http_timeout)
        self.judges = judges
        self.steps: list[RolloutStep] = []

    def _step(self, host: str, step: StepKind, detail: str = "", at: float | None = None) -> None:
        self.steps.append(RolloutStep(time.monotonic() if at is None else at, host, step, detail))
        self.say(f"{host}: {step}" + (f" ({detail})" if detail else ""))

    def run(self, kind: RolloutKind, version: str, previous: str, order: tuple[HostEntry, ...]) -> RolloutReport:
        """Roll ``order`` to ``version`` batch by batch; a deploy soaks each batch and may be rolled back."""
        error: type[TargetError] = DeployError if kind == "deploy" else RollbackError
        baseline = self.gate.preflight(tuple(e.name for e in self.options.role("app")))
        tl = self.timeline
        tl.mark(f"{kind}_started", f"{previous} -> {version}")
        switched: list[HostEntry] = []
        n = self.rules.batch
        for number, batch in enumerate((order[i : i + n] for i in range(0, len(order), n)), 1):
            try:
                self._batch(batch, version, switched, rollback=kind == "rollback")
            except StepFailure as exc:
                stuck = (
                    f"{exc.host} stays drained in the balancer ({self.gate.server(exc.host)}); "
                    if isinstance(exc, DrainTimeout)
                    else ""
                )
                restored = self._restore(switched, previous)
                raise error(f"{kind} to {version} stopped: {exc.message}; {stuck}{restored}") from None
            if kind == "rollback" or self.rules.soak <= 0:
                continue
            baseline = self.gate.stats()
            hit = Watch(self.options, self.gate, version, baseline, self.judges).soak(switched, self.rules.soak)
            for judge in self.judges:
                tl.mark("analysis", f"batch {number}: {judge.describe()}", source="prometheus")
            if hit is None:
                for entry in batch:
                    self._step(entry.name, "soaked", f"{self.rules.soak:g} s")
                continue
            tl.mark("detected", f"{hit.trigger}: {hit.evidence}", at=hit.at)
            self.say(f"rollback trigger {hit.trigger}: {hit.evidence}; switching back {len(switched)} host(s)")
            restored = self._restore(switched, previous)
            if "also failed" in restored:
                raise RollbackError(f"{kind} to {version}: {hit.trigger} fired ({hit.evidence}); {restored}")
            tl.mark("rolled_back", previous)
            self._wait_healthy(previous, error)
            tl.mark("healthy", previous)
            for name, start, end in (
                ("time to detect", f"{kind}_started", "detected"),
                ("time to roll back", "detected", "rolled_back"),
                ("time until healthy", "rolled_back", "healthy"),
                ("time to recover", f"{kind}_started", "healthy"),
            ):
                tl.measure(name, start, end)
            return self._report(kind, version, previous, switched, hit)
        tl.mark("deployed" if kind == "deploy" else "rolled_back", version)
        tl.measure(f"time to {'deploy' if kind == 'deploy' else 'roll back'}", f"{kind}_started", tl_end(kind))
        return self._report(kind, version, previous, switched, None)

    def _report(
        self,
        kind: RolloutKind,
        version: str,
        previous: str,
        switched: list[HostEntry],
        hit: TriggerHit | None,
    ) -> RolloutReport:
        restored = tuple(e.name for e in reversed(switched)) if hit else ()
        result: RolloutResult = "rolled_back" if hit else "succeeded"
        names = tuple(e.name for e in switched)
        return RolloutReport(kind, version, previous, result, names, restored, hit, tuple(self.steps))

    def _leaves_none(self, host: str) -> str:
        """Why draining ``host`` would leave no server in rotation ("" when another one serves)."""
        if self.rules.drain_last:
            return ""
        stats = self.gate.stats()
        others = {h: self.gate.of(stats, h).status for h in self.servers if h != host}
        if any(status in SERVING for status in others.values()):
            return ""
        shown = ", ".join(f"{self.gate.server(h)} is {status or 'unknown'}" for h, status in others.items())
        return f"skipped: draining would leave no server in rotation ({shown}); switched in rotation"

    def _drain(self, entry: HostEntry) -> bool:
        """Drain ``entry`` unless that would leave users no server; whether it was drained."""
        at = time.monotonic()
        skipped = self._leaves_none(entry.name)
        if skipped:
            self._step(entry.name, "draining", skipped, at)
            return False
        in_flight = self.gate.drain(entry.name)
        self._step(entry.name, "draining", f"{in_flight} request(s) in flight", at)
        return True

    def _batch(self, batch: tuple[HostEntry, ...], version: str, switched: list[HostEntry], rollback: bool) -> None:
        drained: list[HostEntry] = []
        if self.rules.drain:
            drained = [entry for entry in batch if self._drain(entry)]
            for entry in drained:
                try:
                    waited = self.gate.wait_drained(entry.name, self.rules.drain_timeout)
                except DrainTimeout:
                    for other in drained:  # drained but untouched: back in rotation; the stuck one stays out
                        if other is not entry:
                            self.gate.ready(other.name)
                    raise
                self._step(entry.name, "drained", f"no request in flight after {waited:.2f} s")
        for entry in batch:
            switched.append(entry)
            self.releases(entry).switch(version, rollback=rollback)
            self._step(entry.name, "switched", version)
        for entry in batch:
            wait_serving(self.options, entry, version)
            self._step(entry.name, "checked", f"ready on {version}, asked directly")
        for entry in drained:
            self.gate.ready(entry.name)
            self._step(entry.name, "ready", "back in rotation")

    def _restore(self, switched: list[HostEntry], previous: str) -> str:
        """Switch ``switched`` back to ``previous``, newest first, each drained first (unless that leaves users no
        server); a host that cannot be switched back stays drained. What happened, as a sentence."""
        failed = []
        for entry in reversed(switched):
            drained = False
            try:
                if self.rules.drain:
                    drained = self._drain(entry)
                    if drained:
                        with contextlib.suppress(DrainTimeout):  # its release is the one that must go: switch anyway
                            self.gate.wait_drained(entry.name, self.rules.drain_timeout)
                self.releases(entry).switch(previous, rollback=True)
                wait_serving(self.options, entry, previous)
                if drained:
                    self.gate.ready(entry.name)
                self._step(entry.name, "restored", previous)
            except StepFailure as exc:
                kept = (
                    f" ({entry.name} stays drained in the balancer, {self.gate.server(entry.name)})" if drained else ""
                )
                failed.append(exc.message + kept)
        if not switched:
            return "nothing was switched"
        hosts = ", ".join(e.name for e in reversed(switched))
        if failed:
            return f"switching back to {previous} also failed: {'; '.join(failed)}"
        return f"{hosts} switched back to {previous}"

    def _wait_healthy(self, version: str, error: type[TargetError]) -> None:
        """Every app instance serving ``version`` (asked directly) and every server in rotation, within ready_within."""
        deadline = time.monotonic() + self.options.ready_within
        while True:
            states = [probe(self.options, e) for e in self.options.role("app")]
            stats = self.gate.stats()
            out = [s.host for s in states if not s.serving or s.version != version]
            out += [h for h in self.servers if self.gate.of(stats, h).status not in SERVING]
            if not out:
                return
            if time.monotonic() > deadline:
                raise error(
                    f"after switching back to {version}, not healthy within "
                    f"{self.options.ready_within:g} s: {', '.join(sorted(set(out)))}"
                )
            time.sleep(0.1)


def tl_end(kind: RolloutKind) -> str:
    """The timeline event that ends a successful rollout of ``kind``."""
    return "deployed" if kind == "deploy" else "rolled_back"
