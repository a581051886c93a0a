"""Helpers of the incident unit tests (a module of its own: ``conftest`` is not importable by name)."""

from __future__ import annotations

from pathlib import Path

from opsready.observation import Observation

ROOT = Path(__file__).resolve().parents[3]


def obs(probe: str, ok: bool = True, value: float | str | None = None, unit: str = "", at: float = 0.0) -> Observation:
    """An observation as a probe would return it."""
    return Observation(probe, ok, value, unit, "", at)
