"""Capacity work against a target: the finder's load steps with the target's resource use, and the whole search.

Only core types are used here (the Target protocol and its optional capacity protocols), so the same code measures
the sandbox and a Kubernetes service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from opsready.capacity.finder import FinderSettings, find_capacity, finder_thresholds
from opsready.capacity.journeys import locust_env
from opsready.capacity.measured import CapacityResult, LoadStep
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.runner import LoadRun
from opsready.capacity.settings import CapacitySettings
from opsready.capacity.thresholds import Threshold, Thresholds
from opsready.targets.capacity import ResourceObservable, ResourceSnapshot, Scalable, resource_use
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

Progress = Callable[[str], None]


class StepMeasurer:
    """Runs one finder step: a paced load at an offered rate, judged over its window, with the resources it used."""

    def __init__(
        self,
        target: Target,
        base: LoadProfile,
        *,
        settings: FinderSettings,
        thresholds: tuple[Threshold, ...],
        locustfile: Path,
        workdir: Path,
        timeline: Timeline | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.target = target
        self.base = base
        self.settings = settings
        self.thresholds = Thresholds(thresholds)
        self.locustfile = locustfile
        self.workdir = workdir
        self.timeline = timeline
        self.env = dict(env or {})
        self.count = 0

    def profile(self, offered: float) -> LoadProfile:
        """The base profile paced to offer ``offered`` requests per second for one step.

        The warm-up lasts at least until every user has started and made its first request (spawning plus one
        period), and the step at least two periods more, so the judged window holds whole periods of every user.
        """
        pacing = offered / self.base.users
        period = 1 / pacing
        warmup = max(self.settings.warmup, self.base.users / self.base.spawn_rate + period)
        return self.base.adjusted(
            name=f"finder {offered:.1f}/s",
            pacing=pacing,
            duration=max(self.settings.step_duration, warmup + 2 * period),
            warmup=warmup,
            stages=(),
        )

    def _snapshot(self) -> ResourceSnapshot | None:
        return self.target.resource_usage() if isinstance(self.target, ResourceObservable) else None

    def __call__(self, offered: float) -> LoadStep:
        """Measure one step."""
        self.count += 1
        profile = self.profile(offered)
        workdir = self.workdir / f"step-{self.count:02d}"
        with LoadRun(
            profile, self.target.base_url, workdir, self.locustfile, timeline=self.timeline, env=self.env
        ) as run:
            first = _first_request(run, profile.duration)
            before = after = None
            if first is not None:
                _sleep_until(first + profile.warmup)
                before = self._snapshot()
                _sleep_until(first + profile.duration - 0.3)  # the last moments include locust's own shutdown
                after = self._snapshot()
            result = run.wait()
        stats = result.stats()
        checks = self.thresholds.check(stats)
        achieved = stats.total.rps
        return LoadStep(
            offered_rps=offered,
            achieved_rps=achieved,
            p95=stats.total.quantile(0.95),
            error_rate=stats.total.error_rate,
            sustained=achieved >= self.settings.sustain * offered,
            thresholds_met=all(c.ok for c in checks),
            violations=tuple(c.describe() for c in checks if not c.ok),
            seconds=stats.phase.seconds,
            resources=resource_use(before, after) if before is not None and after is not None else None,
        )


def _first_request(run: LoadRun, duration: float) -> float | None:
    deadline = time.monotonic() + duration + 10.0
    while time.monotonic() < deadline and run.running():
        samples = run.samples()
        if samples:
            return min(s.start for s in samples)
        time.sleep(0.1)
    return None


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def measure_capacity(
    target: Target,
    settings: CapacitySettings,
    workdir: Path,
    *,
    finder: FinderSettings | None = None,
    timeline: Timeline | None = None,
    progress: Progress | None = None,
) -> CapacityResult:
    """Find the knee of ``target`` with the settings' finder (or ``finder``), pacing the users of its profile."""
    finder = finder or settings.finder
    base = settings.profile(finder.profile)
    thresholds = finder_thresholds(settings.thresholds)
    units = target.capacity_units() if isinstance(target, Scalable) else 1
    measurer = StepMeasurer(
        target,
        base,
        settings=finder,
        thresholds=thresholds,
        locustfile=settings.locustfile,
        workdir=workdir,
        env=locust_env(settings, target),
        timeline=timeline,
    )
    return find_capacity(
        measurer, finder, target=target.name, units=units, users=base.users, thresholds=thresholds, progress=progress
    )
