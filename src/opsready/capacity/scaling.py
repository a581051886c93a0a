"""Scaling triggers: a policy (bounds, triggers that must hold for a while, cooldown) and a controller that watches
the load users see and the target's CPU, and scales the target's units out and in within the bounds.

In ``loadtests/capacity.yaml``::

    scaling:
      min_units: 2
      max_units: 6
      step: 1                  # units added or removed per action
      interval: 500ms          # how often triggers are evaluated
      window: 2s               # metrics are computed over the last <window>
      cooldown: 3s             # no new action this soon after the last one
      scale_within: 30s        # target: trigger fired -> new units serving
      out:                     # ANY of these holding for its time adds units
        - p95 > 250ms for 2s
        - cpu > 70% for 10s
      in:                      # ALL of these holding for their time remove units
        - rps_per_unit < 4 for 3s

``cpu`` is the average utilisation of one unit (1.0 = one core), like a Kubernetes HPA's CPU target; latencies,
error rate and rps are what the simulated users saw, by request end time, over the window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from opsready.capacity.expressions import METRICS, TRIGGER_ONLY, Expression, format_value, parse_expression
from opsready.capacity.results import RequestSample, summarize
from opsready.errors import OpsreadyError, ValidationError
from opsready.targets.capacity import ResourceObservable, ResourceSnapshot, Scalable, resource_use
from opsready.timeline import Timeline
from opsready.yamlsrc import MapReader

Direction = Literal["out", "in"]  # scale out adds units, scale in removes them


@dataclass(frozen=True)
class ScalingPolicy:
    """When to scale out and in, by how much, within which bounds."""

    min_units: int
    max_units: int
    out: tuple[Expression, ...]
    in_: tuple[Expression, ...] = ()
    step: int = 1
    interval: float = 1.0
    window: float = 5.0
    cooldown: float = 30.0
    scale_within: float = 60.0

    def bounded(self, units: int) -> int:
        """``units`` kept within the bounds."""
        return max(self.min_units, min(self.max_units, units))


def parse_scaling(r: MapReader) -> ScalingPolicy:
    """The ``scaling`` section of a capacity file."""
    out = tuple(parse_expression(t, loc, triggers=True) for t, loc in r.items("out"))
    in_ = tuple(parse_expression(t, loc, triggers=True) for t, loc in r.items("in", []))
    if not out:
        raise ValidationError("scaling: 'out' needs at least one trigger", r.loc_of("out"))
    d = ScalingPolicy(min_units=1, max_units=1, out=out)  # the defaults, written once (on the dataclass)
    policy = ScalingPolicy(
        min_units=r.integer("min_units", minimum=1),
        max_units=r.integer("max_units", minimum=1),
        out=out,
        in_=in_,
        step=r.integer("step", d.step, minimum=1),
        interval=r.duration("interval", d.interval),
        window=r.duration("window", d.window),
        cooldown=r.duration("cooldown", d.cooldown),
        scale_within=r.duration("scale_within", d.scale_within),
    )
    if policy.max_units < policy.min_units:
        raise ValidationError("scaling: 'max_units' is below 'min_units'", r.loc_of("max_units"))
    for key in ("interval", "window"):
        if getattr(policy, key) <= 0:
            raise ValidationError(f"scaling: '{key}' must be greater than 0", r.loc_of(key))
    r.done()
    return policy


class Trigger:
    """One trigger expression and since when it has held without a break."""

    def __init__(self, expr: Expression) -> None:
        self.expr = expr
        self.since: float | None = None
        self.measured: float | None = None

    def update(self, measured: float | None, now: float) -> bool:
        """Feed one evaluation; True once the condition has held for the expression's ``for`` time."""
        self.measured = measured
        if measured is None or not self.expr.holds(measured):
            self.since = None
            return False
        if self.since is None:
            self.since = now
        return now - self.since >= (self.expr.hold or 0.0)

    def describe(self) -> str:
        """'p95 > 250ms for 2s (measured 612 ms)'."""
        return f"{self.expr} (measured {format_value(self.expr.kind, self.measured)})"


@dataclass(frozen=True)
class ScalingAction:
    """One scaling action: why, from how many units to how many, when it fired and when the units served."""

    direction: Direction
    reason: str
    from_units: int
    to_units: int
    fired: float  # monotonic
    done: float


class ScalingController:
    """Evaluates the policy every ``interval`` in a thread and scales the target; stop it to get the actions."""

    def __init__(
        self,
        policy: ScalingPolicy,
        target: Scalable,
        samples: Callable[[], Sequence[RequestSample]],
        *,
        resources: ResourceObservable | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self.policy = policy
        self.target = target
        self.samples = samples
        self.resources = resources
        self.timeline = timeline
        self.out = [Trigger(e) for e in policy.out]
        self.in_ = [Trigger(e) for e in policy.in_]
        self.actions: list[ScalingAction] = []
        self.units_seen: list[int] = []  # the target's own unit count at every tick, not what was asked of it
        self.error: OpsreadyError | None = None
        self._last_action = -1e9
        self._snapshots: list[ResourceSnapshot] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def metrics(self, now: float) -> dict[str, float | None]:
        """Every trigger metric over the last window: the users' view, plus CPU per unit from the target."""
        window = self.policy.window
        recent = [s for s in self.samples() if now - window <= s.end < now]
        stats = summarize(recent, window)
        units = self.target.capacity_units()
        self.units_seen.append(units)
        values: dict[str, float | None] = {m: stats.value(m) for m in METRICS if m not in TRIGGER_ONLY}
        values["rps_per_unit"] = stats.rps / units if units else None
        values["units"] = float(units)
        values["cpu"] = self._cpu(now, window)
        return values

    def _cpu(self, now: float, window: float) -> float | None:
        if self.resources is None:
            return None
        snapshot = self.resources.resource_usage()
        self._snapshots = [s for s in self._snapshots if s.at >= now - 2 * window] + [snapshot]
        older = [s for s in self._snapshots if s.at <= now - window]
        base = older[-1] if older else self._snapshots[0]
        if base is snapshot:
            return None
        return resource_use(base, snapshot).service_cpu_per_unit

    def tick(self, now: float | None = None) -> ScalingAction | None:
        """Evaluate the triggers once and act when they call for it."""
        now = time.monotonic() if now is None else now
        values = self.metrics(now)
        units = int(values["units"] or 0)
        fired_out = [t for t in self.out if t.update(values.get(t.expr.metric), now)]
        held_in = [t.update(values.get(t.expr.metric), now) for t in self.in_]
        if now - self._last_action < self.policy.cooldown:
            return None
        if fired_out and units < self.policy.max_units:
            return self._act("out", self.policy.bounded(units + self.policy.step), units, fired_out, now)
        if self.in_ and all(held_in) and units > self.policy.min_units:
            return self._act("in", self.policy.bounded(units - self.policy.step), units, self.in_, now)
        return None

    def _act(self, direction: Direction, wanted: int, units: int, why: list[Trigger], fired: float) -> ScalingAction:
        reason = " and ".join(t.describe() for t in why) if direction == "in" else why[0].describe()
        if self.timeline is not None:
            self.timeline.mark(f"scale_{direction}_triggered", reason, at=fired)
        began = time.monotonic()
        # twice the target, so a slow scale-out is measured (and held to scale_within by the drill), not cut off at it
        reached = self.target.scale(wanted, timeout=2 * self.policy.scale_within)
        done = fired + (time.monotonic() - began)  # on the tick's clock
        action = ScalingAction(direction, reason, units, reached, fired, done)
        self.actions.append(action)
        if self.timeline is not None:
            self.timeline.mark(f"scaled_{direction}", f"{units} -> {reached} units", at=done)
        self._last_action = done
        for trigger in (*self.out, *self.in_):
            trigger.since = None  # the new units change every metric: judge afresh
        return action

    def _run(self) -> None:
        while not self._stop.wait(self.policy.interval):
            try:
                self.tick()
            except OpsreadyError as exc:
                self.error = exc
                return

    def start(self) -> ScalingController:
        """Evaluate in a background thread."""
        self._thread = threading.Thread(target=self._run, name="scaling-controller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> tuple[ScalingAction, ...]:
        """Stop evaluating; the actions taken (a failure of the controller is raised here)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.policy.scale_within + 5)
        if self.error is not None:
            raise self.error
        return tuple(self.actions)
