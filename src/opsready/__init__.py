"""opsready: operational readiness tests and game-day harness.

Runbooks become executable drills: Gherkin scenarios drive a target (the bundled sandbox or Kubernetes), record a
timeline, and assert it against the runbook's targets.
"""

from __future__ import annotations

from opsready.version import __version__

__all__ = ["__version__", "discover"]


def discover(discover_system: bool = True) -> dict[str, object]:
    """chaostoolkit's extension discovery (``chaos discover --no-install opsready``), see :mod:`opsready.chaos`."""
    from opsready.chaos.discovery import discover as chaos_discover

    return chaos_discover(discover_system)
