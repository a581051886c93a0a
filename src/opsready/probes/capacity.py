"""Capacity probes: how busy the service's units are, through the optional capacity protocols of the target."""

from __future__ import annotations

import time

from opsready.observation import Observation
from opsready.targets.capacity import ResourceObservable, resource_use
from opsready.targets.protocol import Target


def cpu_per_unit(target: Target, window_s: float = 2.0, max_ratio: float = 0.7) -> Observation:
    """CPU per serving unit of the service over a window (1.0 = one core), against a scale-out level."""
    if not isinstance(target, ResourceObservable):
        return Observation("cpu_per_unit", False, None, "", f"platform '{target.platform}' reports no resource use")
    before = target.resource_usage()
    time.sleep(window_s)
    use = resource_use(before, target.resource_usage())
    detail = f"{use.units} unit(s), {use.service_cpu_cores:.2f} cores over {use.seconds:.1f} s, max {max_ratio:.0%}"
    return Observation(
        "cpu_per_unit", use.service_cpu_per_unit <= max_ratio, use.service_cpu_per_unit * 100, "%", detail
    )
