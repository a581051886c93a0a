"""Procedure adherence read back from the game-day records (``history.jsonl`` lines of kind ``gameday``).

:func:`read_adherence` is what reports read adherence from: each game-day scenario that recorded it, checked against
the runbooks as they are now (a record naming a step the runbook does not have is a ``path:line`` error, exit 2).
Records written before adherence was recorded (``opsready.history/1``) have none and are left out, not counted as
zero. :func:`procedure_adherence` sums "steps followed / planned" over them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from opsready.adherence import Adherence, adherence_from_json, check_steps
from opsready.errors import Loc


@dataclass(frozen=True)
class RecordedAdherence:
    """The adherence of one scenario of one game day, and the record line it was read from."""

    run_id: str
    finished: str
    scenario: str
    adherence: Adherence
    loc: Loc


def read_adherence(path: Path, runbook_steps: Mapping[str, Mapping[int, str]]) -> tuple[RecordedAdherence, ...]:
    """Every recorded adherence of the game days in the history file ``path``, oldest line first.

    ``runbook_steps``: runbook id -> step number -> text, of the runbooks as they are now. A line that is not JSON
    (a torn line) is skipped, as the history reader does; an adherence record that is malformed or names an unknown
    runbook or step raises :class:`~opsready.errors.ValidationError` at ``path:line``. A missing file is no record.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ()
    found: list[RecordedAdherence] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            data = json.loads(line) if line.strip() else None
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("kind") != "gameday":
            continue
        loc = Loc(str(path), number)
        for scenario in data.get("scenarios") or ():
            if not isinstance(scenario, dict) or scenario.get("adherence") is None:
                continue
            adherence = adherence_from_json(scenario["adherence"], loc)
            check_steps(adherence, runbook_steps, loc)
            found.append(
                RecordedAdherence(
                    str(data.get("run_id", "")),
                    str(data.get("finished", "")),
                    str(scenario.get("name", "")),
                    adherence,
                    loc,
                )
            )
    return tuple(found)


def procedure_adherence(records: Iterable[RecordedAdherence]) -> tuple[int, int]:
    """Steps and checkpoints followed (confirmed done) and planned, over ``records``: the ratio is followed / planned
    (no records: ``(0, 0)``, which is no data, not 0 %)."""
    followed = planned = 0
    for record in records:
        followed += record.adherence.followed
        planned += len(record.adherence.planned)
    return followed, planned
