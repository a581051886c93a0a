"""The remedies the troubleshooting guides prescribe, as actions on a target.

``restart`` and ``reset-link`` go through the target's remediation (:mod:`opsready.targets.remediation`, shared with
the incident runbooks); ``resume``, ``end-blocking-sessions`` and ``stop-culprit`` through its troubleshooting remedies
(:mod:`opsready.targets.diagnostics`); ``rollback`` through the rollback procedure the caller passes (the rollback
runbook's, with its checklists), or the target's own rollback. ``none`` changes nothing.

``stop-culprit`` stops a process group only as :func:`opsready.safety.may_stop_group` allows: the target proves it
its own, a fault journal of the target names it (the caller passes ``journaled``, the lookup), or the user named it
(``named``) with ``--allow-destructive``. Nothing is signalled before that rule has answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opsready.errors import UsageError
from opsready.safety import may_stop_group
from opsready.targets.diagnostics import ProcessGroup, remedies_of
from opsready.targets.protocol import Target
from opsready.targets.remediation import remediation_of
from opsready.troubleshooting.model import Remedy

TIMEOUT = 60.0
Journaled = Callable[[ProcessGroup], str]  # which fault journal of the target names a group ('' when none)


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
    named: bool = False,
    allow_destructive: bool = False,
    journaled: Journaled | None = None,
    reason: str = "troubleshooting",
    rollback: Callable[[str], object] | None = None,
    timeout: float = TIMEOUT,
) -> RemedyResult:
    """Carry out ``remedy`` on ``target``; ``pgid`` is the culprit for ``stop-culprit``, ``named`` when the user gave
    it (not a diagnosis), ``allow_destructive`` when they also passed ``--allow-destructive``."""
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
        ops = remedies_of(target)
        group = ops.process_group(pgid)
        found = journaled(group) if journaled is not None else ""
        grounds = may_stop_group(group, journaled=found, named=named, allow_destructive=allow_destructive)
        stopped = ops.stop_group(group, min(timeout, 10.0))
        return RemedyResult(action, f"stopped process group {pgid} ({len(stopped)} process(es)): {grounds}")
    raise UsageError(f"unknown remedy '{action}'")
