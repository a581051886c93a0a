"""The remedies the troubleshooting guides prescribe, as actions on a target.

``restart`` and ``reset-link`` go through the target's remediation (:mod:`opsready.targets.remediation`, shared with
the incident runbooks); ``resume``, ``end-blocking-sessions`` and ``stop-culprit`` through its troubleshooting remedies
(:mod:`opsready.targets.diagnostics`); ``rollback`` through the rollback procedure the caller passes (the rollback
runbook's, with its checklists), or the target's own rollback. ``none`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opsready.errors import UsageError
from opsready.targets.diagnostics import remedies_of
from opsready.targets.protocol import Target
from opsready.targets.remediation import remediation_of
from opsready.troubleshooting.model import Remedy

TIMEOUT = 60.0


@dataclass(frozen=True)
class RemedyResult:
    """What a remedy did."""

    action: str
    done: str


def apply_remedy(
    target: Target,
    remedy: Remedy,
    *,
    pgid: int | None = None,
    reason: str = "troubleshooting",
    rollback: Callable[[str], object] | None = None,
    timeout: float = TIMEOUT,
) -> RemedyResult:
    """Carry out ``remedy`` on ``target``; ``pgid`` is the culprit for ``stop-culprit``."""
    action = remedy.action
    if action == "none":
        return RemedyResult(action, "nothing to do: the platform already recovered by itself")
    if action == "restart":
        return RemedyResult(action, remediation_of(target).restart_component(remedy.component, timeout))
    if action == "resume":
        resumed = remedies_of(target).resume(remedy.component)
        return RemedyResult(action, f"continued {len(resumed)} frozen process(es) of '{remedy.component}'")
    if action == "reset-link":
        return RemedyResult(action, remediation_of(target).reset_link(remedy.link, timeout))
    if action == "rollback":
        if rollback is not None:
            rollback(reason)
        else:
            target.rollback(reason)
        return RemedyResult(action, f"rolled back to {target.current_release()}")
    if action == "end-blocking-sessions":
        ended = remedies_of(target).end_blocking_sessions(timeout)
        return RemedyResult(action, f"terminated blocking database session(s): {', '.join(map(str, ended)) or 'none'}")
    if action == "stop-culprit":
        if pgid is None:
            raise UsageError("stop-culprit needs the process group the diagnosis blames (--pgid)")
        stopped = remedies_of(target).stop_group(pgid, min(timeout, 10.0))
        return RemedyResult(action, f"stopped process group {pgid} ({len(stopped)} process(es))")
    raise UsageError(f"unknown remedy '{action}'")
