"""Who plays which role, and whether each runbook step and checkpoint was followed, asked from the keyboard.

At the start the console asks who plays the incident commander, the scribe and the responder (Enter keeps the plan's
name). After each scenario (its faults reverted, its time measured) it walks through the scenario's runbook steps and
checkpoints: ``d`` done, ``s`` skipped, ``v`` deviated, then a note (required for a deviation). With ``--auto`` the
:class:`AutomaticConfirmer` records, as done, the steps the drill itself performed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from opsready.adherence import AUTOMATIC_ROLE, Confirmation, PlannedItem, Status
from opsready.gameday.console import Board
from opsready.gameday.plan import Roles, Scenario

# The roles the console asks for, in this order (observers confirm nothing).
CAST_ROLES = ("incident commander", "scribe", "responder")
KEYS: dict[str, Status] = {"d": "done", "s": "skipped", "v": "deviated"}
# A runbook step the automatic drill performs, known by a phrase of its text (the earliest phrase in the text wins),
# and the stage of the drill that performs it (a timeline event, or a notice that was sent).
AUTOMATIC_STEPS = (
    ("acknowledge", "acknowledged"),
    ("classify", "classified"),
    ("initial notice", "notice initial"),
    ("contain", "mitigated"),
    ("incident mitigate", "mitigated"),
    ("validate", "recovered"),
    ("resolution notice", "notice resolution"),
)


@dataclass(frozen=True)
class Cast:
    """Who plays each role today (as confirmed at the keyboard)."""

    incident_commander: str
    scribe: str
    responder: str

    def person(self, role: str) -> str:
        """The person playing ``role`` (one of :data:`CAST_ROLES`)."""
        return {"incident commander": self.incident_commander, "scribe": self.scribe}.get(role, self.responder)

    @classmethod
    def of(cls, roles: Roles) -> Cast:
        """The cast as the plan names it."""
        return cls(roles.incident_commander, roles.scribe, roles.responders[0])


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def ask_cast(board: Board, roles: Roles) -> Cast:
    """Ask who plays each role; an empty answer keeps the plan's name."""
    planned = Cast.of(roles)
    names = []
    for role in CAST_ROLES:
        default = planned.person(role)
        names.append(board.ask(f"who plays the {role}? (Enter: {default})") or default)
    cast = Cast(*names)
    board.note(f"roles: {', '.join(f'{r} {cast.person(r)}' for r in CAST_ROLES)}")
    return cast


def checkpoint_role(text: str) -> str:
    """The role a checkpoint names first ("the scribe notes ..."); the incident commander when it names none."""
    lowered = text.lower()
    found = [(lowered.find(role), role) for role in CAST_ROLES if role in lowered]
    return min(found)[1] if found else "incident commander"


def role_of(item: PlannedItem) -> str:
    """Who confirms an item: the responder for a runbook step, the role a checkpoint names for a checkpoint."""
    return "responder" if item.kind == "step" else checkpoint_role(item.text)


def automatic_stage(text: str) -> str | None:
    """The drill stage that performs a runbook step (by the earliest known phrase in its text), or None."""
    lowered = text.lower()
    found = [(lowered.find(phrase), stage) for phrase, stage in AUTOMATIC_STEPS if phrase in lowered]
    return min(found)[1] if found else None


class Confirmer(Protocol):
    """Confirms what was done of a scenario's planned items."""

    def confirm(self, planned: tuple[PlannedItem, ...], performed: frozenset[str]) -> tuple[Confirmation, ...]:
        """One confirmation per item that was confirmed; ``performed``: the drill's stages that happened."""
        ...


class KeyboardConfirmer:
    """People confirm each item from the keyboard, in the role the item belongs to."""

    def __init__(self, board: Board, cast: Cast) -> None:
        self.board, self.cast = board, cast

    def confirm(self, planned: tuple[PlannedItem, ...], performed: frozenset[str]) -> tuple[Confirmation, ...]:
        """Ask d/s/v for every item, then a note for a skipped (optional) or deviated (required) one."""
        found: list[Confirmation] = []
        for index, item in enumerate(planned, 1):
            role = role_of(item)
            person = self.cast.person(role)
            key = self.board.ask(
                f"{index}/{len(planned)} {item.describe()} ({item.where()}): {item.text}  [{role} {person}: "
                "d done · s skipped · v deviated]",
                "".join(KEYS),
            )
            status = KEYS[key]
            note, question = "", f"{item.describe()} {status}: why? (Enter records)"
            while status != "done":
                note = self.board.ask(question)
                if note or status == "skipped":
                    break
                question = f"{item.describe()} deviated: a deviation needs a note, how was it done instead?"
            found.append(Confirmation(item, status, note, role, person, _now()))
            self.board.note(f"{item.describe()}: {status}" + (f" ({note})" if note else ""))
        return tuple(found)


class AutomaticConfirmer:
    """``--auto``: the steps the drill performed are done, by the automatic responder; nothing else is confirmed."""

    def __init__(self, name: str) -> None:
        self.name = name

    def confirm(self, planned: tuple[PlannedItem, ...], performed: frozenset[str]) -> tuple[Confirmation, ...]:
        """Done, with the stage that did it as the note, for each runbook step whose stage happened."""
        found = []
        for item in planned:
            stage = automatic_stage(item.text) if item.kind == "step" else None
            if stage is not None and stage in performed:
                note = f"performed by the drill ({stage})"
                found.append(Confirmation(item, "done", note, AUTOMATIC_ROLE, self.name, _now()))
        return tuple(found)


def checkpoints(plan_name: str, plan_path: str, scenario: Scenario) -> tuple[PlannedItem, ...]:
    """A scenario's checkpoints as planned items, each at its line of the plan (the scenario's when unknown)."""
    lines = scenario.checkpoint_lines
    return tuple(
        PlannedItem("checkpoint", plan_name, plan_path, lines[i - 1] if i <= len(lines) else scenario.loc.line, i, text)
        for i, text in enumerate(scenario.checkpoints, 1)
    )
