"""opsready: operational readiness tests and game-day harness.

Runbooks become executable drills: Gherkin scenarios drive a target (the bundled sandbox or Kubernetes), record a
timeline, and assert it against the runbook's targets.
"""

from __future__ import annotations

__version__ = "0.1.0"
