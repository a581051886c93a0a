"""The opsready chaostoolkit control: always revert, whatever the rollback strategy and however the run ends.

Declare it in every experiment that injects faults (the validator insists)::

    controls:
      - name: opsready
        provider: {type: python, module: opsready.chaos.control}

chaostoolkit skips rollbacks when a run is interrupted or failed (its ``default`` strategy) but still ends the
experiment control: :func:`after_experiment_control` reverts every fault left, and :func:`cleanup_control` (run in
chaostoolkit's own ``finally``) closes the journal. It also validates the whole experiment before the first activity,
so a mistake in a later activity stops every fault from being injected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsready.chaos.revert import RevertFailed
from opsready.chaos.session import close_owned, current, existing
from opsready.errors import OpsreadyError


def configure_control(
    experiment: dict[str, Any] | None = None, configuration: dict[str, Any] | None = None, **_: Any
) -> None:
    """Open the session and validate the experiment; on a mistake, refuse every fault of this run."""
    from opsready.chaos.experiment import validate_experiment

    session = current(configuration)
    if session.started:
        # chaostoolkit has just put its own SIGTERM handler in place for the run: take the signals back
        session.guard.shield.arm()
    if session.experiment or experiment is None:
        return  # the opsready runner validated it already, with line numbers
    title = str(experiment.get("title", "experiment"))
    session.experiment = title
    try:
        validated = validate_experiment(experiment, Path(f"experiment '{title}'"), session.faults.fault_kinds())
    except OpsreadyError as exc:
        session.refused = str(exc)
        session.say(f"refusing to inject any fault: {exc}")
        return
    session.hypothesis = validated.hypothesis
    session.detections = validated.detections
    if validated.faults:
        session.guard.shield.arm()


def before_experiment_control(context: Any = None, **_: Any) -> None:
    """Stop the run before its first activity when the experiment did not validate."""
    session = existing()
    if session is not None and session.refused:
        from chaoslib.exceptions import InterruptExecution

        raise InterruptExecution(f"opsready refused the experiment: {session.refused}")


def after_activity_control(context: Any = None, state: Any = None, **_: Any) -> None:
    """Stop the run when an activity refused to go on (a fault whose detection probe already showed it before the
    injection): chaostoolkit would carry on with the method and "detect" a fault that was never injected."""
    session = existing()
    if session is not None and session.halted:
        from chaoslib.exceptions import InterruptExecution

        raise InterruptExecution(f"opsready stopped the experiment: {session.halted}")


def after_experiment_control(context: Any = None, state: Any = None, **_: Any) -> None:
    """Revert every fault still applied, and add what happened to chaostoolkit's journal."""
    session = existing()
    if session is None or not session.started:
        return
    error = ""
    try:
        session.guard.revert_all(by="control")
    except RevertFailed as exc:
        error = exc.render()
        session.say(error)
    if isinstance(state, dict):
        state["opsready"] = {
            "fault_journal": str(session.guard.journal.path),
            "faults": [
                {"name": r.name, "kind": r.spec.kind, "reverted_by": r.reverted_by, "verified": r.verified}
                for r in session.guard.records
            ],
            "timeline": [{"kind": e.kind, "at": round(e.at, 3), "detail": e.detail} for e in session.timeline.events],
            "error": error,
            "undetected": list(session.undetected),
            "refused": session.halted,
        }


def cleanup_control() -> None:
    """Close a session this experiment opened (revert anything left, close the journal)."""
    close_owned()
