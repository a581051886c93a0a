"""Steps of the capacity-planning runbook: load at the planned level, thresholds per phase of a fault, the scaling
trigger under rising load, and the capacity plan against what was measured.

Everything the target is changed by (link latency, unit count) is put back by a finalizer, whatever the outcome; link
latency is a chaos fault (:mod:`opsready.drills.links`), so a drill killed mid-way leaves it to its dead-man watchdog
and ``opsready recover``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.capacity import DEFAULT_PATH
from opsready.capacity.drive import measure_capacity
from opsready.capacity.finder import finder_thresholds
from opsready.capacity.forecast import forecast
from opsready.capacity.journeys import locust_env
from opsready.capacity.measured import CapacityResult
from opsready.capacity.plan import CapacityPlan, build_plan, render_plan
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.results import Phase, PhaseStats, drill_phases
from opsready.capacity.runner import LoadResult, LoadRun
from opsready.capacity.scaling import ScalingAction, ScalingController
from opsready.capacity.settings import CapacitySettings, load_settings
from opsready.config import Config
from opsready.drills.links import SlowLinks
from opsready.errors import OpsreadyError
from opsready.targets.capacity import ResourceObservable, scalable
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.traffic_history import load_history

SETTLE = 2.0  # after a scale-out, the queue built before it drains
SETTLE_LIMIT = 60.0  # a timed latency's dead-man ends it this long after it should have been reverted


@dataclass(frozen=True)
class CapacityDrill:
    """What capacity steps share: the target, loadtests/capacity.yaml, the timeline and a directory for locust."""

    target: Target
    settings: CapacitySettings
    timeline: Timeline
    workdir: Path

    def load(self, profile: LoadProfile, name: str = "load") -> LoadRun:
        """A load run of ``profile`` against the target, marked on the timeline (not started)."""
        return LoadRun(
            profile,
            self.target.base_url,
            self.workdir / name,
            self.settings.locustfile,
            timeline=self.timeline,
            env=locust_env(self.settings, self.target),
        )


@pytest.fixture
def capacity_settings(opsready_config: Config) -> CapacitySettings:
    """loadtests/capacity.yaml (thresholds, profiles, scaling, finder, planning), validated."""
    try:
        return load_settings(opsready_config.resolve(DEFAULT_PATH), opsready_config.root)
    except OpsreadyError as exc:
        pytest.fail(exc.render(), pytrace=False)


@pytest.fixture(autouse=True)
def _capacity_file_first(request: pytest.FixtureRequest) -> None:
    """A capacity scenario reads its capacity file before anything else: a mistake in it fails the scenario at its
    line before the Background opens (and may start) the target."""
    if request.node.get_closest_marker("capacity") is not None:
        request.getfixturevalue("capacity_settings")


@pytest.fixture
def capacity_drill(
    target: Target, capacity_settings: CapacitySettings, timeline: Timeline, tmp_path: Path
) -> CapacityDrill:
    """The capacity steps' shared context."""
    return CapacityDrill(target, capacity_settings, timeline, tmp_path)


@dataclass
class CapacityState:
    """What the steps of one capacity scenario hand to each other (per test)."""

    load_run: LoadRun | None = None
    load_began: float | None = None
    load_result: LoadResult | None = None
    phases: list[PhaseStats] = field(default_factory=list)
    actions: tuple[ScalingAction, ...] | None = None
    units_seen: tuple[int, ...] = ()
    units_at_end: int | None = None
    capacity: CapacityResult | None = None
    plan: CapacityPlan | None = None
    plan_text: str = ""

    @property
    def run(self) -> LoadRun:
        """The background load run."""
        assert self.load_run is not None, "no background load was started in this scenario"
        return self.load_run

    @property
    def result(self) -> LoadResult:
        """The load run that went to its end."""
        assert self.load_result is not None, "no load ran to completion in this scenario"
        return self.load_result

    @property
    def measured_phases(self) -> list[PhaseStats]:
        """The load phases measured."""
        assert self.phases, "no load phases were measured in this scenario"
        return self.phases

    @property
    def measured(self) -> CapacityResult:
        """The capacity the finder measured."""
        assert self.capacity is not None, "the capacity was not measured in this scenario"
        return self.capacity

    def scaling(self, direction: str) -> list[ScalingAction]:
        """The scaling controller's actions in one direction ("out" or "in")."""
        assert self.actions is not None, "the scaling controller did not run"
        return [a for a in self.actions if a.direction == direction]


@pytest.fixture
def capacity_state() -> CapacityState:
    """The scenario's load runs, phases, scaling actions and capacity plan, as the steps produce them."""
    return CapacityState()


def _wait_for_requests(run: LoadRun, seconds: float) -> float:
    """Wait until the load has run ``seconds`` since its first request; returns when that first request started."""
    deadline = time.monotonic() + seconds + 15.0
    while not run.samples():
        assert run.running() and time.monotonic() < deadline, f"locust made no request; see {run.workdir}"
        time.sleep(0.1)
    first = min(s.start for s in run.samples())
    time.sleep(max(0.0, first + seconds - time.monotonic()))
    return first


@pytest.fixture
def slow_links(opsready_config: Config, target: Target) -> Iterator[SlowLinks]:
    """The scenario's link latencies, injected through the chaos guard; whatever is still applied is reverted after."""
    with SlowLinks(opsready_config, target) as links:
        yield links


@given(parsers.parse("users' requests reach the service {ms:d} ms late over a slow network"))
def slow_users(slow_links: SlowLinks, ms: int) -> None:
    """Latency on the users' link, request side: each request keeps a worker busy that much longer (reverted after)."""
    slow_links.slow("users", ms, "upstream")


@given(parsers.parse("the service runs {units:d} units"))
def runs_units(target: Target, request: pytest.FixtureRequest, units: int) -> None:
    """Scale to ``units`` for the scenario; the unit count it had is restored afterwards."""
    scaler = scalable(target)
    before = scaler.capacity_units()
    request.addfinalizer(lambda: scaler.scale(before))
    assert scaler.scale(units) == units


@given(parsers.parse('the "{profile}" load is running'))
def load_running(
    capacity_state: CapacityState, capacity_drill: CapacityDrill, request: pytest.FixtureRequest, profile: str
) -> None:
    """Background load from a profile; stopped by the scenario or, at the latest, when it ends."""
    run = capacity_drill.load(capacity_drill.settings.profile(profile))
    request.addfinalizer(lambda: run.stop("interrupted"))
    capacity_state.load_run = run.start()


@when("the planned load runs")
def planned_load_runs(capacity_state: CapacityState, capacity_drill: CapacityDrill) -> None:
    """The planned profile, to its end; judged over its window (after the warm-up)."""
    with capacity_drill.load(capacity_drill.settings.profile()) as run:
        result = run.wait()
    capacity_state.load_result = result
    capacity_state.phases = [result.stats()]


@when(parsers.parse("the load has run {seconds:d} seconds"))
def load_has_run(capacity_state: CapacityState, seconds: int) -> None:
    """Let the background load run (from its first request)."""
    capacity_state.load_began = _wait_for_requests(capacity_state.run, seconds)


@when(parsers.parse("the users' link is {ms:d} ms slower for {seconds:d} seconds"))
def slower_link(slow_links: SlowLinks, timeline: Timeline, ms: int, seconds: int) -> None:
    """A fault users notice: responses delayed on the way back; reverted whatever happens."""
    timeline.mark("injected", f"users' link +{ms} ms (responses)")
    try:
        slow_links.slow("users", ms, "downstream", time_limit=seconds + SETTLE_LIMIT)
        time.sleep(seconds)
    finally:
        slow_links.restore("users")
        timeline.mark("reverted", "users' link back to normal")


@when(parsers.parse("the load runs {seconds:d} more seconds"))
def load_runs_more(capacity_state: CapacityState, timeline: Timeline, seconds: int) -> None:
    """Keep the load on after recovery, then stop it and split what users saw by phase."""
    run = capacity_state.run
    time.sleep(seconds)
    result = run.stop()
    began = capacity_state.load_began
    start = began if began is not None else result.window.start
    capacity_state.load_result = result
    capacity_state.phases = list(result.phases(drill_phases(timeline, start, result.window.end)))


@when("the load rises and falls with the scaling policy active")
def rising_load(capacity_state: CapacityState, capacity_drill: CapacityDrill) -> None:
    """The "rising" profile (low, high, low) while the scaling controller watches users' latency and the CPU."""
    target, timeline = capacity_drill.target, capacity_drill.timeline
    policy = capacity_drill.settings.scaling
    assert policy is not None, f"{capacity_drill.settings.path} has no 'scaling' section"
    run = capacity_drill.load(capacity_drill.settings.profile("rising"))
    resources = target if isinstance(target, ResourceObservable) else None
    controller = ScalingController(policy, scalable(target), run.samples, resources=resources, timeline=timeline)
    with run:
        controller.start()
        try:
            result = run.wait()
        finally:
            capacity_state.actions = controller.stop()
    capacity_state.units_seen = tuple(controller.units_seen)
    capacity_state.load_result = result
    capacity_state.units_at_end = scalable(target).capacity_units()
    if timeline.has("scaled_out"):
        timeline.measure("time to scale out", "scale_out_triggered", "scaled_out", target=policy.scale_within)


def _stages(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> tuple[float, float, float]:
    """Start of the high stage, its end, and the end of the run (monotonic), from the first request."""
    result = capacity_state.result
    first = min(s.start for s in result.samples)
    stages = capacity_settings.profile("rising").stages
    high = first + stages[0].seconds
    return high, high + stages[1].seconds, result.window.end


@when(parsers.parse("the capacity is measured with {seconds:d}-second steps"))
def capacity_measured(capacity_state: CapacityState, capacity_drill: CapacityDrill, seconds: int) -> None:
    """The capacity finder, with short steps (a drill, not a planning measurement)."""
    settings = capacity_drill.settings
    finder = replace(settings.finder, step_duration=float(seconds), warmup=1.0, resolution=0.15)
    capacity_state.capacity = measure_capacity(
        capacity_drill.target,
        settings,
        capacity_drill.workdir / "finder",
        finder=finder,
        timeline=capacity_drill.timeline,
    )


@when("the capacity plan is written")
def plan_written(
    capacity_state: CapacityState, capacity_settings: CapacitySettings, opsready_config: Config, tmp_path: Path
) -> None:
    """Forecast from the traffic history and render the plan from the measured capacity."""
    planning = capacity_settings.planning
    measured = capacity_state.measured
    history = load_history(opsready_config.resolve(planning.history))
    fc = forecast(history, timedelta(seconds=planning.horizon), planning.holdout)
    plan = build_plan(measured, fc, planning)
    path = tmp_path / "capacity-plan.md"
    path.write_text(render_plan(plan, opsready_config.resolve(planning.template)), encoding="utf-8")
    capacity_state.plan, capacity_state.plan_text = plan, path.read_text(encoding="utf-8")


@then("every threshold was met")
def thresholds_met(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """Every threshold of every measured phase held."""
    verdict = capacity_settings.thresholds.verdict(capacity_state.measured_phases)
    assert verdict.ok, "\n" + verdict.describe()


@then("the users got the planned throughput")
def planned_throughput(capacity_state: CapacityState) -> None:
    """Users got at least 90 % of what the planned profile offers."""
    result = capacity_state.result
    offered = result.profile.offered_rps
    assert offered is not None, f"profile '{result.profile.name}' is not paced: it offers no fixed rate"
    achieved = result.stats().total.rps
    assert achieved >= 0.9 * offered, f"users got {achieved:.1f}/s of the {offered:.1f}/s planned"


@then("locust's own statistics agree with the samples")
def locust_agrees(capacity_state: CapacityState) -> None:
    """Per endpoint, locust counted exactly the requests our per-request samples hold (both ways: no endpoint only
    one of them knows)."""
    result = capacity_state.result
    assert result.locust, f"locust wrote no statistics (ended by {result.ended_by})"
    counted: dict[str, int] = {}
    for sample in result.samples:
        counted[sample.endpoint] = counted.get(sample.endpoint, 0) + 1
    assert counted == {e.endpoint: e.requests for e in result.locust if e.requests}, "samples vs locust differ"


@then("each phase met its own thresholds")
def phases_met(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """Before, during (relaxed bounds) and after the fault, each phase held the thresholds that apply to it."""
    phases = capacity_state.measured_phases
    assert [p.phase.name for p in phases] == ["before", "during", "after"], [p.describe() for p in phases]
    for stats in phases:
        assert stats.total.requests >= 20, f"too little load to judge: {stats.describe()}"
    verdict = capacity_settings.thresholds.verdict(phases)
    assert verdict.ok, "\n" + verdict.describe()


@then(parsers.parse("users saw the {ms:d} ms only during the fault"))
def latency_only_during(capacity_state: CapacityState, ms: int) -> None:
    """The fault shows in the median of its phase, and not in the p95 of the phases around it."""
    by_name = {p.phase.name: p for p in capacity_state.measured_phases}
    during = by_name["during"].total.quantile(0.5)
    assert during is not None and during >= ms / 1000, f"median during the fault: {during}; the fault did not bite"
    for name in ("before", "after"):
        p95 = by_name[name].total.quantile(0.95)
        assert p95 is not None and p95 < ms / 1000, f"p95 {name} the fault: {p95 * 1000 if p95 else 0:.0f} ms"


@then("the scale-out trigger fired under the rising load")
def scale_out_fired(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """At least one scale-out, triggered after the load rose."""
    high, _, _ = _stages(capacity_state, capacity_settings)
    outs = capacity_state.scaling("out")
    assert outs, "no scale-out happened"
    assert outs[0].fired >= high, "the scale-out fired before the load rose"


@then("capacity grew within the bounds")
def grew_within_bounds(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """The target's own unit count, read at every tick of the controller, went above what the scenario started with
    and never left the policy's bounds."""
    policy = capacity_settings.scaling
    assert policy is not None
    seen = capacity_state.units_seen
    assert seen, "the controller never read the target's units"
    started = capacity_state.scaling("out")[0].from_units
    assert max(seen) > started, f"the target never ran more than {started} units (seen: {sorted(set(seen))})"
    assert all(policy.min_units <= u <= policy.max_units for u in seen), f"outside the bounds: {sorted(set(seen))}"


@then("the thresholds were met again at the high load after scaling")
def met_after_scaling(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """From the last scale-out (and a moment to drain the queue) to the end of the high load, thresholds held."""
    high, high_end, _ = _stages(capacity_state, capacity_settings)
    outs = capacity_state.scaling("out")
    last = max(a.done for a in outs if a.done < high_end)
    phase = Phase("after scaling", last + SETTLE, high_end - 0.5)
    history = "; ".join(f"{a.from_units}->{a.to_units} at +{a.fired - high:.1f} s: {a.reason}" for a in outs)
    load = os.getloadavg()[0]
    assert phase.seconds >= 3, (
        f"the triggers kept firing until {phase.seconds:.1f} s before the load fell ({history}); "
        f"host load average {load:.1f} on {os.cpu_count()} cores"
    )
    stats = capacity_state.result.stats(phase)
    capacity_state.phases = [stats]
    verdict = capacity_settings.thresholds.verdict([stats])
    assert verdict.ok, f"{stats.describe()}\n{verdict.describe()}"


@then("capacity was scaled in after the load dropped")
def scaled_in(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """A scale-in happened once the load fell, and the service ended with fewer units than at the peak."""
    _, high_end, _ = _stages(capacity_state, capacity_settings)
    ins = [a for a in capacity_state.scaling("in") if a.fired >= high_end]
    assert ins, "no scale-in after the load dropped"
    peak = max(a.to_units for a in capacity_state.scaling("out"))
    assert ins[-1].to_units < peak and capacity_state.units_at_end == ins[-1].to_units


@then("the measured capacity sustained its load within the thresholds")
def capacity_sustained(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """The knee step passed, and (unless the finder hit its limit) a step above it failed: the knee is bracketed."""
    measured = capacity_state.measured
    knee = [s for s in measured.steps if s.offered_rps == measured.knee_offered_rps and s.ok]
    assert knee and knee[-1].achieved_rps == measured.knee_rps, [s.offered_rps for s in measured.steps]
    step = knee[-1]  # what was measured there, held to the capacity file again, not the finder's verdict on it
    sustain = capacity_settings.finder.sustain
    assert step.achieved_rps >= sustain * step.offered_rps, f"got {step.achieved_rps:.1f} of {step.offered_rps:.1f}/s"
    measured_there = {"p95": step.p95, "error_rate": step.error_rate}
    held = [t for t in finder_thresholds(capacity_settings.thresholds) if t.endpoint is None]
    checked = [t for t in held if t.expr.metric in measured_there]
    assert checked, "no latency or error threshold to hold the knee to"
    for threshold in checked:
        value = measured_there[threshold.expr.metric]
        assert value is not None and threshold.expr.holds(value), f"at the knee: {threshold.describe()}, got {value}"
    if not measured.limited:
        above = [s for s in measured.steps if s.offered_rps > measured.knee_offered_rps]
        assert above and not any(s.ok for s in above), "a higher load passed too: the knee is not the highest"


@then("the plan's numbers are those measured")
def plan_matches(capacity_state: CapacityState, capacity_settings: CapacitySettings) -> None:
    """Capacity, headroom, units and the resource estimate in the plan are the measured ones, also in its text."""
    plan, text, measured = capacity_state.plan, capacity_state.plan_text, capacity_state.measured
    assert plan is not None, "no capacity plan was written in this scenario"
    headroom = capacity_settings.planning.headroom
    assert plan.capacity_rps == measured.knee_rps and plan.units_now == measured.units
    assert math.isclose(plan.usable_rps, measured.knee_rps * (1 - headroom))
    per_unit = measured.knee_rps / measured.units
    assert plan.units_needed == max(1, math.ceil(plan.peak_at_horizon_rps / (per_unit * (1 - headroom))))
    assert plan.estimate == measured.estimate and plan.estimate is not None
    for shown in (
        f"{measured.knee_rps:.1f} requests/s with {measured.units} unit(s)",
        f"{plan.usable_rps:.1f} requests/s",
        f"{plan.estimate.rps_per_unit:.1f} requests/s",
        plan.recommendation,
    ):
        assert shown in text, f"the plan does not state '{shown}'"
