"""Procedure adherence: whether the people (or the automatic responder) of a game day followed the runbook.

Each runbook step and human checkpoint of a scenario is a :class:`PlannedItem` (with the file and line it was written
at); a :class:`Confirmation` says what happened to it (done, skipped or deviated, with a note), who confirmed it, in
which role, and when. A scenario's :class:`Adherence` keeps both, so "steps followed / planned" is
:attr:`Adherence.followed` over :attr:`Adherence.planned`; the steps to put back into the runbook are
:attr:`Adherence.lessons`. Stored in the game-day record (``ScenarioResult.adherence``, the ``adherence`` key of a
scenario in ``history.jsonl`` and ``readiness.json``) as :func:`adherence_to_json` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from opsready.errors import Loc, ValidationError

# What happened to a planned step: done as written, not done, or done differently (the note says how).
Status = Literal["done", "skipped", "deviated"]
STATUSES: tuple[Status, ...] = get_args(Status)
# A numbered step of the scenario's runbook, or a checkpoint of the game-day plan.
ItemKind = Literal["step", "checkpoint"]
ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
AUTOMATIC_ROLE = "automatic responder"


@dataclass(frozen=True)
class PlannedItem:
    """A step to follow: a runbook step (``number`` is its number) or a plan's checkpoint (its index from 1)."""

    kind: ItemKind
    source: str  # runbook id for a step, the plan's file name for a checkpoint
    path: str  # the file it is written in, as shown to people (relative to the suite when it can be)
    line: int
    number: int
    text: str

    def where(self) -> str:
        """``path:line``."""
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        """``step 4 of incident-service-down`` or ``checkpoint 1 of q4-2026.yaml``."""
        return f"{self.kind} {self.number} of {self.source}"


@dataclass(frozen=True)
class Confirmation:
    """What happened to one planned item, confirmed by ``person`` playing ``role`` at ``at`` (ISO 8601 UTC)."""

    item: PlannedItem
    status: Status
    note: str
    role: str
    person: str
    at: str


@dataclass(frozen=True)
class Adherence:
    """The planned items of one scenario and the confirmations given (an item nobody confirmed was not followed)."""

    planned: tuple[PlannedItem, ...]
    confirmed: tuple[Confirmation, ...]

    @property
    def followed(self) -> int:
        """How many planned items were confirmed done."""
        return sum(1 for c in self.confirmed if c.status == "done")

    @property
    def ratio(self) -> float | None:
        """Followed over planned, or None when nothing was planned."""
        return self.followed / len(self.planned) if self.planned else None

    @property
    def lessons(self) -> tuple[Confirmation, ...]:
        """The confirmations that were skipped or deviated: proposed updates to the runbook or the plan."""
        return tuple(c for c in self.confirmed if c.status != "done")


def _item_json(item: PlannedItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "source": item.source,
        "path": item.path,
        "line": item.line,
        "number": item.number,
        "text": item.text,
    }


def adherence_to_json(adherence: Adherence) -> dict[str, Any]:
    """The JSON form stored in the game-day record."""
    return {
        "planned": [_item_json(i) for i in adherence.planned],
        "confirmed": [
            {
                **_item_json(c.item),
                "status": c.status,
                "note": c.note,
                "role": c.role,
                "person": c.person,
                "at": c.at,
            }
            for c in adherence.confirmed
        ],
    }


def _text(data: Mapping[str, Any], key: str, loc: Loc) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValidationError(f"adherence: '{key}' must be a string, got {value!r}", loc)
    return value


def _int(data: Mapping[str, Any], key: str, loc: Loc) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"adherence: '{key}' must be a whole number, got {value!r}", loc)
    return value


def _item(data: Any, loc: Loc) -> PlannedItem:
    if not isinstance(data, Mapping):
        raise ValidationError(f"adherence: an item must be an object, got {data!r}", loc)
    kind = data.get("kind")
    if kind not in ITEM_KINDS:
        raise ValidationError(f"adherence: unknown item kind {kind!r} (known: {', '.join(ITEM_KINDS)})", loc)
    return PlannedItem(
        kind,
        _text(data, "source", loc),
        _text(data, "path", loc),
        _int(data, "line", loc),
        _int(data, "number", loc),
        _text(data, "text", loc),
    )


def adherence_from_json(data: Any, loc: Loc) -> Adherence:
    """Read the JSON form back; anything malformed is a :class:`ValidationError` at ``loc`` (the record's line)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("planned"), list):
        raise ValidationError("adherence: expected an object with 'planned' and 'confirmed' lists", loc)
    confirmed = data.get("confirmed")
    if not isinstance(confirmed, list):
        raise ValidationError("adherence: 'confirmed' must be a list", loc)
    found: list[Confirmation] = []
    for entry in confirmed:
        item = _item(entry, loc)
        status = entry.get("status")
        if status not in STATUSES:
            raise ValidationError(f"adherence: unknown status {status!r} (known: {', '.join(STATUSES)})", loc)
        found.append(
            Confirmation(
                item,
                status,
                _text(entry, "note", loc),
                _text(entry, "role", loc),
                _text(entry, "person", loc),
                _text(entry, "at", loc),
            )
        )
    return Adherence(tuple(_item(i, loc) for i in data["planned"]), tuple(found))


def check_steps(adherence: Adherence, runbook_steps: Mapping[str, Mapping[int, str]], loc: Loc) -> None:
    """Every runbook step the record names exists in that runbook (``runbook_steps``: id -> number -> text); an
    unknown runbook or step number is a :class:`ValidationError` at ``loc``."""
    items = [*adherence.planned, *(c.item for c in adherence.confirmed)]
    for item in items:
        if item.kind != "step":
            continue
        steps = runbook_steps.get(item.source)
        if steps is None:
            raise ValidationError(f"adherence names unknown runbook '{item.source}' ({item.describe()})", loc)
        if item.number not in steps:
            known = ", ".join(str(n) for n in sorted(steps)) or "none"
            raise ValidationError(
                f"adherence names unknown {item.describe()} (written at {item.where()}); its steps are: {known}", loc
            )
