"""Validation checklists (YAML): each item is a probe with arguments; mandatory items run even on the emergency path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsready.checks import Check, CheckRun, run_checks
from opsready.errors import Loc, ValidationError
from opsready.probes.registry import parse_probe_call
from opsready.targets.protocol import Target
from opsready.yamlsrc import MapReader, load_yaml


@dataclass(frozen=True)
class Checklist:
    """A named list of checks, with the file they were read from."""

    name: str
    description: str
    items: tuple[Check, ...]
    path: Path


def _item(raw: object, loc: Loc) -> Check:
    r = MapReader(raw, loc, "checklist item")
    name = r.string("name")
    probe = r.string("probe")
    call = parse_probe_call(probe, r.raw("with", None), r.loc_of("probe"), r.value_loc("with"))
    mandatory = r.flag("mandatory", False)
    r.done()
    return Check(name, call, mandatory)


def load_checklist(path: Path) -> Checklist:
    """Read and validate a checklist file; every mistake is reported at its line."""
    data = load_yaml(path)
    r = MapReader(data, Loc(str(path), 1), f"checklist {path.name}")
    name = r.string("checklist")
    description = r.string("description", "")
    items = tuple(_item(raw, loc) for raw, loc in r.items("items"))
    if not items:
        raise ValidationError("a checklist needs at least one item", r.loc_of("items"))
    r.done()
    return Checklist(name, description, items, path)


def run_checklist(checklist: Checklist, target: Target, mandatory_only: bool = False) -> CheckRun:
    """Run every item (or only the mandatory ones) against the target."""
    return run_checks(checklist.name, checklist.items, target, mandatory_only)
