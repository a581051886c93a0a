"""The scaling controller's decisions: triggers that must hold, cooldown, bounds, scale-in only when all agree.

The target is a small in-memory Scalable (a platform stand-in, not our code); the clock is passed to ``tick``.
"""

from __future__ import annotations

import pytest

from opsready.capacity.results import RequestSample
from opsready.capacity.scaling import ScalingController, parse_scaling
from opsready.errors import Loc, ValidationError
from opsready.timeline import Timeline
from opsready.yamlsrc import MapReader, parse_yaml

POLICY = """\
min_units: 2
max_units: 4
interval: 500ms
window: 2s
cooldown: 3s
scale_within: 10s
out:
  - p95 > 250ms for 2s
in:
  - rps_per_unit < 4 for 3s
  - p95 < 100ms
"""


def policy(text: str = POLICY):  # type: ignore[no-untyped-def]
    """A policy parsed like the capacity file's scaling section."""
    return parse_scaling(MapReader(parse_yaml(text, "capacity.yaml"), Loc("capacity.yaml", 1), "scaling"))


class Units:
    """A scalable platform in memory: it records every scale call."""

    def __init__(self, units: int) -> None:
        self.units = units
        self.calls: list[int] = []

    def capacity_units(self) -> int:
        return self.units

    def scale(self, units: int, timeout: float = 30.0) -> int:
        self.calls.append(units)
        self.units = units
        return units


class Load:
    """Requests users saw: a given latency and rate, ending at the time asked."""

    def __init__(self) -> None:
        self.latency = 0.05
        self.rate = 20.0
        self.samples: list[RequestSample] = []

    def until(self, now: float) -> None:
        """Add requests that ended in the last half second."""
        count = int(self.rate / 2)
        for i in range(count):
            end = now - 0.5 + (i + 0.5) / self.rate
            self.samples.append(RequestSample(end - self.latency, end, "GET /products", self.latency, False))

    def __call__(self) -> list[RequestSample]:
        return self.samples


def drive(controller: ScalingController, load: Load, start: float, seconds: float) -> float:
    """Tick every half second for ``seconds``; returns the clock at the end."""
    now = start
    while now < start + seconds:
        now += 0.5
        load.until(now)
        controller.tick(now)
    return now


def test_slow_users_fire_scale_out_after_the_hold_and_the_cooldown_spaces_actions() -> None:
    """p95 above 250 ms for 2 s adds a unit; the next one only after the cooldown; never past max_units."""
    units, load, timeline = Units(2), Load(), Timeline("scaling")
    controller = ScalingController(policy(), units, load, timeline=timeline)
    now = drive(controller, load, 100.0, 5.0)
    assert units.calls == []
    load.latency = 0.6
    now = drive(controller, load, now, 2.0)
    assert units.calls == [], "fired before the latency had held for 2 s"
    now = drive(controller, load, now, 2.0)
    assert units.calls == [3]
    drive(controller, load, now, 10.0)
    assert units.calls == [3, 4], "went past max_units or stopped short"
    first, second = controller.actions
    assert second.fired >= first.done + 3.0, "acted again within the 3 s cooldown"
    assert (first.direction, first.from_units, first.to_units) == ("out", 2, 3)
    assert first.reason.startswith("p95 > 250ms for 2s (measured 600 ms)")
    assert [e.kind for e in timeline.events] == ["scale_out_triggered", "scaled_out"] * 2


def test_scale_in_needs_every_trigger_and_stops_at_min_units() -> None:
    """Little traffic per unit alone is not enough while latency is high; both together remove units down to 2."""
    units, load = Units(4), Load()
    controller = ScalingController(policy(), units, load)
    load.rate, load.latency = 4.0, 0.2
    now = drive(controller, load, 0.0, 10.0)
    assert units.calls == [], "scaled in while p95 was above 100 ms"
    load.latency = 0.03
    drive(controller, load, now, 20.0)
    assert units.calls == [3, 2]
    assert [a.direction for a in controller.actions] == ["in", "in"]


def test_no_data_holds_nothing() -> None:
    """Without requests, latency triggers are not met (and the hold timers reset)."""
    units, load = Units(2), Load()
    controller = ScalingController(policy(), units, load)
    load.rate = 0.0
    drive(controller, load, 0.0, 10.0)
    assert units.calls == []
    assert controller.metrics(10.0)["p95"] is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("min_units: 3\nmax_units: 2\nout: [p95 > 1s]\n", 2, "'max_units' is below 'min_units'"),
        ("min_units: 1\nmax_units: 2\nout: [cpu > 70 for 30s]\n", 3, "written as a percentage"),
        ("min_units: 1\nmax_units: 2\nout: []\n", 3, "at least one trigger"),
        ("min_units: 1\nmax_units: 2\nout: [p95 > 1s]\ncooldwn: 3s\n", 4, "unknown key 'cooldwn'"),
    ],
)
def test_policy_mistakes_name_their_line(text: str, line: int, message: str) -> None:
    """A broken scaling section is reported at its line."""
    with pytest.raises(ValidationError) as caught:
        policy(text)
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == line
