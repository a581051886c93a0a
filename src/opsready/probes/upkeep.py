"""Probes of a target's upkeep: how full its disk is and when its TLS certificate expires."""

from __future__ import annotations

from opsready.errors import OpsreadyError
from opsready.observation import Observation
from opsready.targets.maintenance import maintenance_of
from opsready.targets.protocol import Target

GIB = 1024**3


def disk(target: Target, max_used: float = 0.9) -> Observation:
    """The filesystem holding the target's state is used to at most ``max_used``."""
    try:
        usage = maintenance_of(target).disk_usage()
    except OpsreadyError as exc:
        return Observation("disk", False, None, "", f"disk usage unavailable: {exc.message}")
    own = sum(size for _, size in usage.target_bytes)
    detail = (
        f"{usage.used_fraction:.1%} of {usage.total_bytes / GIB:.1f} GiB used, {usage.free_bytes / GIB:.1f} GiB free "
        f"(target's own {own / 1024**2:.1f} MiB), max {max_used:.0%}"
    )
    return Observation("disk", usage.used_fraction <= max_used, usage.used_fraction * 100, "%", detail)


def certificate(target: Target, warn_days: int = 30) -> Observation:
    """The served TLS certificate verifies and is valid for more than ``warn_days`` days."""
    try:
        cert = maintenance_of(target).certificate()
    except OpsreadyError as exc:
        return Observation("certificate", False, None, "", f"certificate unavailable: {exc.message}")
    ok = cert.verified and cert.days_left > warn_days
    problems = [] if cert.verified else ["does not verify"]
    if cert.days_left <= warn_days:
        problems.append("EXPIRED" if cert.days_left <= 0 else f"expires within {warn_days} days")
    detail = f"{cert.endpoint} serial {cert.serial[:12]}, valid until {cert.not_after}" + (
        f"; {', '.join(problems)}" if problems else ""
    )
    return Observation("certificate", ok, cert.days_left, " days left", detail)
