"""Validation checklists (YAML): each item is a probe with arguments; mandatory items run even on the emergency path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.observation import Observation
from opsready.probes.registry import ProbeCall, parse_probe_call
from opsready.targets.protocol import Target
from opsready.yamlsrc import MapReader, load_yaml


@dataclass(frozen=True)
class ChecklistItem:
    """One check: a name people read, and the probe that answers it."""

    name: str
    call: ProbeCall
    mandatory: bool


@dataclass(frozen=True)
class Checklist:
    """A named list of checks."""

    name: str
    description: str
    items: tuple[ChecklistItem, ...]
    path: Path


@dataclass(frozen=True)
class ItemResult:
    """One check as it ran."""

    item: str
    observation: Observation


@dataclass(frozen=True)
class ChecklistResult:
    """A checklist as it ran: passed when every item it ran passed."""

    checklist: str
    results: tuple[ItemResult, ...]

    @property
    def ok(self) -> bool:
        """Every item that ran passed."""
        return all(r.observation.ok for r in self.results)

    def failures(self) -> tuple[ItemResult, ...]:
        """The items that failed."""
        return tuple(r for r in self.results if not r.observation.ok)

    def summary(self) -> str:
        """One line for logs and exceptions."""
        bad = self.failures()
        if not bad:
            return f"{self.checklist}: {len(self.results)}/{len(self.results)} checks passed"
        return f"{self.checklist}: failed " + "; ".join(f"{r.item} ({r.observation.describe()})" for r in bad)


def _item(raw: object, loc: Loc) -> ChecklistItem:
    r = MapReader(raw, loc, "checklist item")
    name = r.string("name")
    probe = r.string("probe")
    call = parse_probe_call(probe, r.raw("with", None), r.loc_of("probe"), r.value_loc("with"))
    mandatory = r.flag("mandatory", False)
    r.done()
    return ChecklistItem(name, call, mandatory)


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


def run_checklist(checklist: Checklist, target: Target, mandatory_only: bool = False) -> ChecklistResult:
    """Run every item (or only the mandatory ones) against the target."""
    results = tuple(
        ItemResult(item.name, item.call.run(target)) for item in checklist.items if item.mandatory or not mandatory_only
    )
    return ChecklistResult(checklist.name, results)
