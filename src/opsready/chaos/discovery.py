"""``chaos discover --no-install opsready``: the extension's activities, and the fault kinds of the target."""

from __future__ import annotations

from typing import Any

from opsready.chaos.activities import ACTIONS_MODULE, PROBES_MODULE


def _system() -> dict[str, Any]:
    from opsready.config import load_config
    from opsready.errors import OpsreadyError
    from opsready.targets.faults import faults_of
    from opsready.targets.registry import open_target

    try:
        config = load_config()
        target = open_target(config)
        kinds = faults_of(target).fault_kinds()
    except OpsreadyError as exc:
        return {"error": str(exc)}
    return {
        "target": target.name,
        "platform": target.platform,
        "fault_kinds": [
            {"name": k.name, "family": k.family, "summary": k.summary, "params": [p.describe() for p in k.params]}
            for k in kinds
        ],
    }


def discover(discover_system: bool = True) -> dict[str, Any]:
    """The discovery document chaostoolkit expects from an extension."""
    from chaoslib.discovery.discover import discover_actions, discover_probes, initialize_discovery_result

    from opsready.version import __version__

    result: dict[str, Any] = initialize_discovery_result("opsready", __version__, "opsready")
    result["activities"].extend(discover_actions(ACTIONS_MODULE))
    result["activities"].extend(discover_probes(PROBES_MODULE))
    if discover_system:
        result["system"] = _system()
    return result
