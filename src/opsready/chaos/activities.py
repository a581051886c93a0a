"""The activities of the opsready chaostoolkit extension and their arguments, checked the same way everywhere.

The experiment validator checks them before anything runs (with ``path:line``); the activity functions check them
again when chaostoolkit calls them, so plain ``chaos run`` refuses the same mistakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsready.chaos.baseline import Change, parse_change
from opsready.errors import Loc, ValidationError
from opsready.probes.registry import ProbeCall, all_probes, parse_probe_call
from opsready.spelling import did_you_mean
from opsready.targets.faults import FaultKind, FaultSpec, parse_fault_spec
from opsready.yamlsrc import MapReader

ACTIONS_MODULE = "opsready.chaos.actions"
PROBES_MODULE = "opsready.chaos.probes"
CONTROL_MODULE = "opsready.chaos.control"
ACTIONS = ("inject", "revert", "revert_all", "place_orders")
CHAOS_PROBES = ("detect", "await_steady_state")
MAX_ORDERS = 1000


@dataclass(frozen=True)
class Checked:
    """Validated arguments of one opsready activity."""

    fault: FaultSpec | None = None
    fault_name: str = ""
    revert_name: str = ""
    probe: ProbeCall | None = None
    probes: tuple[ProbeCall, ...] = ()
    within: float = 0.0
    interval: float = 0.0
    streak: int = 0
    count: int = 0
    change: Change | None = None  # detect: relative to the baseline measured before the fault


def probe_functions() -> tuple[str, ...]:
    """Every probe function of :mod:`opsready.chaos.probes`."""
    return (*all_probes(), *CHAOS_PROBES)


def _probe_list(reader: MapReader, key: str) -> tuple[ProbeCall, ...]:
    calls = []
    for item, loc in reader.items(key, []):
        if isinstance(item, str):
            calls.append(parse_probe_call(item, None, loc, loc))
        elif isinstance(item, dict) and len(item) == 1:
            name, args = next(iter(item.items()))
            calls.append(parse_probe_call(name, args, loc, loc))
        else:
            raise ValidationError(f"'{key}' items must be probe names or {{name: {{arguments}}}}", loc)
    return tuple(calls)


def _action(func: str, r: MapReader, kinds: tuple[FaultKind, ...]) -> Checked:
    if func == "inject":
        kind = r.raw("kind")
        params_loc = r.value_loc("params") if r.has("params") else r.loc
        spec = parse_fault_spec(
            kinds,
            kind,
            r.raw("params", None),
            r.raw("time_limit", None),
            r.loc_of("kind"),
            params_loc=params_loc,
            limit_loc=r.loc_of("time_limit"),
        )
        return Checked(fault=spec, fault_name=r.string("name", spec.kind))
    if func == "revert":
        return Checked(revert_name=r.string("name"))
    if func == "place_orders":
        count = r.integer("count", 10, minimum=1)
        if count > MAX_ORDERS:
            raise ValidationError(f"'count' must be at most {MAX_ORDERS}, got {count}", r.loc_of("count"))
        return Checked(count=count)
    return Checked()


def _probe(func: str, r: MapReader, args_loc: Loc) -> Checked:
    if func == "detect":
        name = r.string("probe")
        arguments = r.raw("arguments", None)
        probe = parse_probe_call(name, arguments, r.loc_of("probe"), r.value_loc("arguments"))
        return Checked(
            probe=probe,
            within=r.duration("within", 30.0),
            interval=r.duration("interval", 0.1),
            change=parse_change(r, name),
            streak=r.integer("streak", 1, minimum=1),
        )
    if func == "await_steady_state":
        return Checked(
            probes=_probe_list(r, "probes"),
            within=r.duration("within", 60.0),
            interval=r.duration("interval", 0.2),
            streak=r.integer("streak", 3, minimum=1),
        )
    return Checked(probe=parse_probe_call(func, dict(r.data), args_loc, args_loc))


def check_arguments(
    module: str, func: str, args: dict[str, Any], func_loc: Loc, args_loc: Loc, *, kinds: tuple[FaultKind, ...]
) -> Checked:
    """Validate the arguments of one opsready activity (``module``.``func``)."""
    known = ACTIONS if module == ACTIONS_MODULE else probe_functions()
    if func not in known:
        raise ValidationError(
            f"{module} has no activity '{func}'{did_you_mean(func, known)} (it has: {', '.join(known)})", func_loc
        )
    r = MapReader(args, args_loc, f"arguments of {func}")
    if module == ACTIONS_MODULE:
        checked = _action(func, r, kinds)
    else:
        checked = _probe(func, r, args_loc)
        if func in all_probes():
            r.names()  # the registry has read and checked them
    r.done()
    return checked
