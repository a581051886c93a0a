"""Probes of the hosts a target runs on, through testinfra (``Target.testinfra_hosts``): CPU pressure and memory.

They read Linux's own accounting (``/proc/pressure/cpu``, ``/proc/meminfo``) on every host of the target, so they
work for the local sandbox and, unchanged, for hosts testinfra reaches over ssh or kubectl.
"""

from __future__ import annotations

import time
from typing import Any

from opsready.observation import Observation
from opsready.targets.protocol import HasHosts, Target


def _hosts(target: Target) -> list[tuple[str, Any]]:
    # a target with hosts of its own hands out testinfra Hosts over its checked connections (host keys, time limits)
    if isinstance(target, HasHosts):
        return [(h.spec, h.host) for h in target.hosts()]
    import testinfra

    return [(spec, testinfra.get_host(spec)) for spec in target.testinfra_hosts()]


def _read(host: Any, path: str) -> str:
    return str(host.file(path).content_string)


def _cpu_stall_us(host: Any) -> int:
    """Microseconds during which some task waited for a CPU, since boot (PSI ``some total``)."""
    for line in _read(host, "/proc/pressure/cpu").splitlines():
        if line.startswith("some "):
            return int(line.rsplit("total=", 1)[1])
    raise ValueError("no 'some' line in /proc/pressure/cpu")


def cpu_pressure(target: Target, window_s: float = 1.0, max_share: float = 0.9) -> Observation:
    """Share of the next ``window_s`` seconds in which some task waited for a CPU, on the busiest host."""
    try:
        hosts = _hosts(target)
        before = [(spec, host, _cpu_stall_us(host), time.monotonic()) for spec, host in hosts]
        time.sleep(window_s)
        shares = [
            (spec, (_cpu_stall_us(host) - stall) / 1e6 / max(time.monotonic() - at, 1e-6))
            for spec, host, stall, at in before
        ]
    except Exception as exc:  # no PSI, an unreachable host: an observation that could not be made
        return Observation("cpu_pressure", False, None, "", f"cannot read CPU pressure: {type(exc).__name__}: {exc}")
    if not shares:
        return Observation("cpu_pressure", False, None, "", "the target names no host")
    spec, share = max(shares, key=lambda s: s[1])
    detail = f"some task waited for a CPU {share:.0%} of {window_s:g} s on {spec}, max {max_share:.0%}"
    return Observation("cpu_pressure", share <= max_share, share * 100, "%", detail)


def memory_available(target: Target, min_share: float = 0.1) -> Observation:
    """Memory available (MemAvailable / MemTotal) on the host with the least of it is at least ``min_share``."""
    try:
        shares = []
        for spec, host in _hosts(target):
            info = {
                key: int(rest.split()[0])
                for key, _, rest in (line.partition(":") for line in _read(host, "/proc/meminfo").splitlines())
                if rest.split()
            }
            shares.append((spec, info["MemAvailable"] / info["MemTotal"], info["MemAvailable"] // 1024))
    except Exception as exc:  # no /proc/meminfo, an unreachable host: an observation that could not be made
        return Observation("memory_available", False, None, "", f"cannot read memory: {type(exc).__name__}: {exc}")
    if not shares:
        return Observation("memory_available", False, None, "", "the target names no host")
    spec, share, megabytes = min(shares, key=lambda s: s[1])
    detail = f"{megabytes} MB ({share:.0%}) available on {spec}, min {min_share:.0%}"
    return Observation("memory_available", share >= min_share, share * 100, "%", detail)
