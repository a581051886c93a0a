"""readiness.json: schema id, verdict, run facts, scenarios with timelines, the measurements summary, the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from opsready.report import SCHEMA_ID, load_schema, readiness_dict, write_json
from opsready.results import RunResult, ScenarioResult

MakeResult = Callable[..., RunResult]


def written(result: RunResult, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "out" / "readiness.json"
    write_json(result, path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_run_facts_and_verdict(ready: RunResult, tmp_path: Path) -> None:
    """The top level names the schema, the verdict, times, target, selection, notes and counts."""
    data = written(ready, tmp_path)
    assert data["schema"] == SCHEMA_ID == "opsready.readiness/1"
    assert data["verdict"] == "ready"
    assert (data["started"], data["finished"], data["duration"]) == (
        "2026-11-27T10:00:00Z",
        "2026-11-27T10:02:03Z",
        123.456,
    )
    assert data["target"] == {
        "name": "sandbox",
        "platform": "sandbox",
        "base_url": "http://127.0.0.1:8080",
        "details": {"database": "postgresql", "release": "1.2.0"},
    }
    assert data["selection"] == "-m rollback"
    assert data["notes"] == ["sandbox database: postgresql"]
    assert data["summary"] == {"passed": 1, "failed": 0, "skipped": 1, "error": 0, "total": 2}


def test_not_ready_when_a_scenario_failed(not_ready: RunResult, tmp_path: Path) -> None:
    """One failure makes the verdict 'not ready'; its message is kept whole."""
    data = written(not_ready, tmp_path)
    assert data["verdict"] == "not ready"
    failed = data["scenarios"][1]
    assert failed["outcome"] == "failed"
    assert failed["message"] == "AssertionError: 3 requests failed during the switch\nassert 3 == 0"
    assert failed["timeline"] is None


def test_scenario_with_timeline(ready: RunResult, tmp_path: Path) -> None:
    """A scenario carries nodeid, names, outcome, duration, runbooks, markers, events and measurements."""
    scenario = written(ready, tmp_path)["scenarios"][0]
    assert scenario["nodeid"] == "steps/test_rollback.py::test_a_bad_release_is_rolled_back"
    assert (scenario["name"], scenario["feature"], scenario["outcome"]) == (
        "A bad release is rolled back",
        "Rollback",
        "passed",
    )
    assert scenario["duration"] == 9.87
    assert scenario["runbooks"] == ["rollback", "deployment"]
    assert scenario["markers"] == ["rollback", "drill"]
    timeline = scenario["timeline"]
    assert [e["kind"] for e in timeline["events"]] == [
        "deployed",
        "detected",
        "rollback_started",
        "rolled_back",
        "healthy",
    ]
    assert timeline["events"][-1] == {
        "kind": "healthy",
        "at": 9.1,
        "wall": "2026-11-27T10:00:09.100Z",
        "detail": "1.2.0",
        "source": "probe",
    }
    assert timeline["measurements"][1] == {
        "name": "time to roll back",
        "start": "detected",
        "end": "rolled_back",
        "seconds": 3.1,
        "target": 300.0,
        "ok": True,
        "description": "time to roll back: 3.1 s (target 5 min 0 s) ok",
    }


def test_measurements_summary_names_the_scenario(not_ready: RunResult, tmp_path: Path) -> None:
    """Every measurement of every scenario is listed at the top level with its scenario; misses show ok false."""
    data = written(not_ready, tmp_path)
    summary = data["measurements"]
    assert [(m["name"], m["ok"]) for m in summary] == [
        ("time to detect", True),
        ("time to roll back", True),
        ("time until healthy", False),
        ("time to recover", True),
    ]
    assert {m["scenario"] for m in summary} == {"steps/test_rollback.py::test_a_bad_release_is_rolled_back"}
    assert summary[3]["target"] is None
    assert summary[2]["description"] == "time until healthy: 800 ms (target 500 ms) MISSED"


def test_no_target_and_no_scenarios(make: MakeResult, tmp_path: Path) -> None:
    """A run that ran nothing is 'not ready'; a missing target description is null."""
    data = written(make(), tmp_path)
    assert data["verdict"] == "not ready"
    assert data["target"] is None
    assert data["scenarios"] == []
    assert data["measurements"] == []


def test_free_text_is_redacted(make: MakeResult, passed: ScenarioResult, tmp_path: Path) -> None:
    """Secrets planted in messages, event details, notes, selection and the target URL never reach the file."""
    canary = "CANARY-7f3a9c"
    record = passed.timeline
    assert record is not None
    event = replace(record.events[0], detail=f"connect postgresql://ops:{canary}@db/orders")
    scenario = replace(
        passed,
        message=f"request failed: Authorization: Bearer {canary}-token",
        timeline=replace(record, events=(event, *record.events[1:])),
    )
    result = replace(
        make(scenario),
        notes=(f"PGPASSWORD={canary}",),
        selection=f"-k 'token={canary}'",
    )
    path = tmp_path / "readiness.json"
    write_json(result, path)
    text = path.read_text(encoding="utf-8")
    assert canary not in text
    assert "[REDACTED]" in text
    assert "postgresql://ops:[REDACTED]@db/orders" in text


def test_output_validates_against_the_shipped_schema(
    ready: RunResult, not_ready: RunResult, make: MakeResult, tmp_path: Path
) -> None:
    """readiness.json validates against readiness.schema.json (which is itself a valid 2020-12 schema)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed in this environment")
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for result in (ready, not_ready, make()):
        validator.validate(readiness_dict(result))
    broken = readiness_dict(ready)
    broken["scenarios"][0]["outcome"] = "sort of"
    assert not validator.is_valid(broken)
