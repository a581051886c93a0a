"""Probe ``toy_flags``: no flag is raised on a toy target."""

from __future__ import annotations

from opsready.observation import Observation
from opsready.probes.registry import ProbeSpec
from opsready.targets.protocol import Target
from opsready_toy.adapter import ToyTarget


def flags(target: Target) -> Observation:
    """No file in the target's ``flags/`` directory."""
    if not isinstance(target, ToyTarget):
        return Observation("toy_flags", False, None, "", f"not a toy target (platform {target.platform})")
    raised = sorted(p.name for p in target.flags.glob("*")) if target.flags.is_dir() else []
    detail = "no flag raised" if not raised else "raised: " + ", ".join(raised)
    return Observation("toy_flags", not raised, float(len(raised)), " flags", detail)


TOY_FLAGS = ProbeSpec("toy_flags", flags, "no flag is raised on a toy target")
