"""opsready: operational readiness tests and game-day harness.

Runbooks become executable drills: Gherkin scenarios drive a target (the bundled sandbox or Kubernetes), record a
timeline, and assert it against the runbook's targets.

``opsready.__version__`` is read from the package metadata on first use, not at import: every process opsready
starts (proxies, watchdogs, fault holders, the CLI) imports this package, and ``importlib.metadata`` costs about a
fifth of a second of CPU at each start.
"""

from __future__ import annotations

__all__ = ["__version__", "discover"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from opsready.version import __version__

        return __version__
    raise AttributeError(f"module 'opsready' has no attribute {name!r}")


def discover(discover_system: bool = True) -> dict[str, object]:
    """chaostoolkit's extension discovery (``chaos discover --no-install opsready``), see :mod:`opsready.chaos`."""
    from opsready.chaos.discovery import discover as chaos_discover

    return chaos_discover(discover_system)
