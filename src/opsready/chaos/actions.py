"""chaostoolkit actions of the opsready extension: inject and revert faults through the journal and the guard.

Use them from an experiment as ``provider: {type: python, module: opsready.chaos.actions, func: inject, ...}``;
``chaos discover --no-install opsready`` lists them. Each fault is journaled before it is applied, has a dead-man
watchdog, and is reverted on every outcome (with the opsready control declared in the experiment).
"""

from __future__ import annotations

from typing import Any

from opsready.chaos.activities import ACTIONS_MODULE, check_arguments
from opsready.chaos.session import current
from opsready.errors import Loc, UsageError
from opsready.profile import kind_of, profile_of, run_journey

__all__ = ["inject", "place_orders", "revert", "revert_all"]


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def inject(
    kind: str,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    time_limit: str | float | None = None,
    configuration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inject a fault of ``kind`` (the target's fault kinds) with ``params``; it is reverted at ``time_limit``
    at the latest, even if this process dies. The detection probes that follow it in the method are observed first
    (the baseline, :mod:`opsready.chaos.baseline`): one that already shows the fault refuses the injection."""
    session = current(configuration)
    session.check_allowed()
    args = _given(kind=kind, name=name, params=params, time_limit=time_limit)
    checked = check_arguments(
        ACTIONS_MODULE, "inject", args, Loc("inject"), Loc("inject"), kinds=session.faults.fault_kinds()
    )
    assert checked.fault is not None
    session.take_baselines(checked.fault_name)
    fault_id = session.guard.inject(checked.fault_name, checked.fault)
    return {"fault": fault_id, "name": checked.fault_name, "spec": checked.fault.to_json()}


def revert(name: str, configuration: dict[str, Any] | None = None) -> dict[str, Any]:
    """Revert the fault called ``name`` and verify it is gone (harmless when it is not applied)."""
    session = current(configuration)
    observation = session.guard.revert(name) if session.started else None
    if observation is None:
        return {"fault": name, "reverted": False, "detail": "not applied (already reverted, or never injected)"}
    return {"fault": name, "reverted": True, "detail": observation.describe()}


def revert_all(configuration: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Revert every fault still applied, newest first, each verified by a probe."""
    session = current(configuration)
    if not session.started:
        return []
    return [
        {"fault": r.name, "kind": r.spec.kind, "reverted_by": r.reverted_by, "verified": r.verified, "error": r.error}
        for r in session.guard.revert_all()
    ]


def place_orders(count: int = 10, configuration: dict[str, Any] | None = None) -> int:
    """Run the profile's writing journeys ``count`` times in turn (work for the service: orders for the sandbox's
    worker); returns how many runs passed."""
    import httpx

    session = current(configuration)
    check_arguments(
        ACTIONS_MODULE, "place_orders", {"count": count}, Loc("place_orders"), Loc("place_orders"), kinds=()
    )
    profile = profile_of(session.target)
    journeys = profile.writing(kind_of(session.target))
    if not journeys:
        raise UsageError(f"{profile.where()} has no writing journey in its traffic to place work with")
    accepted = 0
    with httpx.Client(base_url=session.target.base_url, timeout=3.0) as client:
        for i in range(count):
            accepted += run_journey(client, journeys[i % len(journeys)]).ok
    return accepted
