"""Adherence in game days: roles and runbook steps confirmed from the keyboard, recorded by the automatic responder,
stored in the game-day record (history line) and read back, older records included, unknown steps refused."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from opsready.adherence import AUTOMATIC_ROLE, Adherence, Confirmation, PlannedItem, adherence_to_json
from opsready.cli.common import handle_errors
from opsready.errors import ValidationError
from opsready.gameday.adherence import AutomaticConfirmer, KeyboardConfirmer, ask_cast, automatic_stage, checkpoints
from opsready.gameday.console import Board
from opsready.gameday.plan import Roles, load_plan
from opsready.report.adherence import procedure_adherence, read_adherence
from opsready.report.history import from_json, read_history, summarize, to_json
from opsready.report.jsonreport import load_schema, readiness_dict
from opsready.results import RunResult, ScenarioResult
from opsready.runbooks.parse import parse_runbook
from tests.unit.gameday.test_gameday_plan import KNOWN

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
RUNBOOK = REPO / "runbooks" / "incidents" / "service-down.md"
PLAN = REPO / "gamedays" / "q4-2026.yaml"
ROLES = Roles("Alex Morgan", "Blake Chen", ("Casey Diaz", "Dana Evans"))


def _checkpoint_lines() -> list[int]:
    """Where the plan's first scenario writes its checkpoints (found by their text, as a person would)."""
    rows = PLAN.read_text().splitlines()
    return [
        i for i, row in enumerate(rows, 1) if "- the incident commander confirms" in row or "- the scribe notes" in row
    ]


def _planned() -> tuple[PlannedItem, ...]:
    steps = tuple(
        PlannedItem("step", "incident-service-down", "runbooks/incidents/service-down.md", s.line, s.number, s.text)
        for s in parse_runbook(RUNBOOK).steps
    )
    return steps + checkpoints("q4-2026.yaml", "gamedays/q4-2026.yaml", load_plan(PLAN, KNOWN).scenarios[0])


def _steps() -> dict[str, dict[int, str]]:
    return {"incident-service-down": {s.number: s.text for s in parse_runbook(RUNBOOK).steps}}


def _answer(board: Board, answers: list[str]) -> threading.Thread:
    """Type each answer (keys, or a line then Enter) once the board asks a new question, as a person would."""

    def feed() -> None:
        previous = None
        for answer in answers:
            deadline = time.monotonic() + 5
            while (board.asking is None or board.asking == previous) and time.monotonic() < deadline:
                time.sleep(0.005)
            previous = board.asking
            for key in answer:
                board.press(key)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def _record(adherence: Adherence | None) -> str:
    scenario = ScenarioResult(
        nodeid="q4-2026.yaml::1::orders service down",
        name="orders service down",
        feature="Q4 2026 game day",
        outcome="passed",
        duration=21.4,
        runbooks=("incident-service-down",),
        markers=("gameday",),
        adherence=adherence,
    )
    run = RunResult(
        "2026-12-03T10:00:00Z", "2026-12-03T10:01:05Z", 65.0, None, (scenario,), kind="gameday", run_id="r1"
    )
    return json.dumps(to_json(summarize(run)))


def test_people_name_the_roles_then_confirm_each_step_with_a_note() -> None:
    """Enter keeps the plan's name, a typed one replaces it; d/s/v per item, a note after s or v (required for v);
    other keys are ignored while a choice is asked; every confirmation names the item's role, person and time."""
    board = Board("t", 1)
    planned = _planned()
    feeder = _answer(board, ["\r", "Sam Lee\r", "\r"])
    cast = ask_cast(board, ROLES)
    feeder.join(5)
    assert (cast.incident_commander, cast.scribe, cast.responder) == ("Alex Morgan", "Sam Lee", "Casey Diaz")
    answers = ["d", "xd", "s", "\r", "d", "v", "\r", "restarted by hamd\x7f\x7fnd\r", "d", "d", "d", "s", "no time\r"]
    feeder = _answer(board, answers)
    confirmed = KeyboardConfirmer(board, cast).confirm(planned, frozenset())
    feeder.join(5)
    assert board.asking is None and board.typing is None
    assert [c.status for c in confirmed] == [
        "done",
        "done",
        "skipped",
        "done",
        "deviated",
        "done",
        "done",
        "done",
        "skipped",
    ]
    assert [c.item for c in confirmed] == list(planned)
    deviated = confirmed[4]
    assert (deviated.note, deviated.role, deviated.person) == ("restarted by hand", "responder", "Casey Diaz")
    assert deviated.item.where() == f"runbooks/incidents/service-down.md:{parse_runbook(RUNBOOK).steps[4].line}"
    assert [c.item.line for c in confirmed[-2:]] == _checkpoint_lines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", deviated.at)
    assert confirmed[2].note == ""  # a skip may go without a note
    scribe = confirmed[-1]
    assert (scribe.item.kind, scribe.role, scribe.person, scribe.note) == ("checkpoint", "scribe", "Sam Lee", "no time")
    assert (confirmed[-2].role, confirmed[-2].person) == ("incident commander", "Alex Morgan")


def test_auto_records_the_steps_the_drill_performed_as_done_by_the_automatic_responder() -> None:
    """Acknowledge, classify, notices, containment and validation are the drill's; investigating and the human
    checkpoints are nobody's, so they stay unconfirmed (planned, not followed)."""
    planned = _planned()
    performed = frozenset(
        {"acknowledged", "classified", "mitigated", "recovered", "notice initial", "notice resolution"}
    )
    confirmed = AutomaticConfirmer("automatic responder (CI)").confirm(planned, performed)
    assert [c.item.number for c in confirmed] == [1, 2, 3, 4, 6, 7]
    assert {(c.status, c.role, c.person) for c in confirmed} == {("done", AUTOMATIC_ROLE, "automatic responder (CI)")}
    assert confirmed[3].note == "performed by the drill (mitigated)"
    adherence = Adherence(planned, confirmed)
    assert (adherence.followed, len(adherence.planned), adherence.lessons) == (6, 9, ())
    partial = AutomaticConfirmer("bot").confirm(planned, frozenset({"acknowledged"}))  # a drill that stopped early
    assert [c.item.number for c in partial] == [1]
    assert automatic_stage("Validate: `opsready incident classify` reports no incident") == "recovered"
    assert automatic_stage("Investigate: `opsready sandbox status`") is None


def test_the_record_round_trips_and_a_record_from_before_adherence_still_loads(tmp_path: Path) -> None:
    """A history line with adherence reads back equal; the line written before adherence existed (schema /1) loads
    with none, and read_adherence leaves it out instead of counting it as zero."""
    planned = _planned()
    adherence = Adherence(planned, (Confirmation(planned[4], "deviated", "by hand", "responder", "Casey", "t"),))
    line = _record(adherence)
    back = from_json(json.loads(line))
    assert back.scenarios[0].adherence == adherence and json.loads(line)["schema"] == "opsready.history/2"
    history = tmp_path / "history.jsonl"
    history.write_text((DATA / "history-before-adherence.jsonl").read_text() + line + "\n", encoding="utf-8")
    runs = read_history(history)
    assert not runs.skipped and [r.scenarios[0].adherence for r in runs.runs] == [None, adherence]
    (record,) = read_adherence(history, _steps())
    assert record.adherence == adherence and str(record.loc) == f"{history}:2"
    assert procedure_adherence([record]) == (0, 9) and procedure_adherence([]) == (0, 0)


def test_a_record_naming_an_unknown_step_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A step number the runbook does not have: path:line of the record, exit 2, no traceback."""
    planned = _planned()
    data = adherence_to_json(Adherence(planned, ()))
    data["planned"][1]["number"] = 42
    line = json.loads(_record(None))
    line["scenarios"][0]["adherence"] = data
    history = tmp_path / "history.jsonl"
    history.write_text("{torn\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown step 42 of incident-service-down") as caught:
        read_adherence(history, _steps())
    assert str(caught.value.loc) == f"{history}:2"
    with pytest.raises(SystemExit) as exited:
        handle_errors(lambda: read_adherence(history, _steps()))()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{history}:2: " in err and "Traceback" not in err


def test_readiness_json_carries_the_adherence_its_schema_describes() -> None:
    """The scenario's adherence is in readiness.json and valid against the shipped schema; a status outside
    done/skipped/deviated is not."""
    planned = _planned()
    adherence = Adherence(planned, (Confirmation(planned[0], "done", "", "responder", "Casey", "t"),))
    scenario = ScenarioResult(nodeid="n", name="n", feature="f", outcome="passed", duration=1.0, adherence=adherence)
    report = readiness_dict(RunResult("a", "b", 1.0, None, (scenario,), kind="gameday"))
    jsonschema.validate(report, load_schema())
    assert report["scenarios"][0]["adherence"] == adherence_to_json(adherence)
    report["scenarios"][0]["adherence"]["confirmed"][0]["status"] = "forgot"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, load_schema())
