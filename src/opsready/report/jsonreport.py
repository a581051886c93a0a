"""``readiness.json``: the machine-readable report of a run; its JSON Schema ships beside this module."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from opsready.adherence import adherence_to_json
from opsready.report.output import write_atomically
from opsready.report.redact import redact_result
from opsready.report.score import Readiness
from opsready.results import OUTCOMES, RunResult, ScenarioResult
from opsready.targets.protocol import TargetDescription
from opsready.timeline import Event, Measurement, TimelineRecord

SCHEMA_ID = "opsready.readiness/1"
SCHEMA_FILE = "readiness.schema.json"


def _seconds(value: float) -> float:
    return round(value, 3)


def outcome_counts(result: RunResult) -> dict[str, int]:
    """How many scenarios ended in each outcome (every known outcome present, zero or not), plus ``total``."""
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for scenario in result.scenarios:
        counts[scenario.outcome] = counts.get(scenario.outcome, 0) + 1
    counts["total"] = len(result.scenarios)
    return counts


def _target(target: TargetDescription | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {
        "name": target.name,
        "platform": target.platform,
        "base_url": target.base_url,
        "details": dict(target.details),
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "at": _seconds(event.at),
        "wall": event.wall,
        "detail": event.detail,
        "source": event.source,
    }


def _measurement(measurement: Measurement) -> dict[str, Any]:
    return {
        "name": measurement.name,
        "start": measurement.start,
        "end": measurement.end,
        "seconds": _seconds(measurement.seconds),
        "target": None if measurement.target is None else _seconds(measurement.target),
        "ok": measurement.ok,
        "description": measurement.describe(),
    }


def _timeline(record: TimelineRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "name": record.name,
        "started_wall": record.started_wall,
        "events": [_event(e) for e in record.events],
        "measurements": [_measurement(m) for m in record.measurements],
    }


def _scenario(scenario: ScenarioResult) -> dict[str, Any]:
    return {
        "nodeid": scenario.nodeid,
        "name": scenario.name,
        "feature": scenario.feature,
        "outcome": scenario.outcome,
        "duration": _seconds(scenario.duration),
        "runbooks": list(scenario.runbooks),
        "markers": list(scenario.markers),
        "message": scenario.message,
        "timeline": _timeline(scenario.timeline),
        "traffic": [
            {"at": _seconds(p.at), "requests": p.requests, "failed": p.failed, "p95": p.p95} for p in scenario.traffic
        ],
        "runbook_steps": [{"runbook": r.runbook, "step": r.step} for r in scenario.runbook_steps],
        "expected_skip": scenario.expected_skip or None,
        "adherence": adherence_to_json(scenario.adherence) if scenario.adherence is not None else None,
    }


def score_dict(readiness: Readiness) -> dict[str, Any]:
    """The readiness score as JSON-ready data."""
    return {
        "overall": readiness.overall,
        "at": readiness.at,
        "min_score": readiness.min_score,
        "meets_minimum": readiness.meets_minimum,
        "categories": [
            {
                "category": c.category,
                "score": c.score,
                "runbooks": [
                    {
                        "id": r.id,
                        "credit": round(r.credit, 3),
                        "last_drill": r.last_drill,
                        "passed": r.passed,
                        "reason": r.reason,
                    }
                    for r in c.runbooks
                ],
            }
            for c in readiness.categories
        ],
    }


def readiness_dict(result: RunResult, readiness: Readiness | None = None) -> dict[str, Any]:
    """The report as JSON-ready data (with the readiness score when given); every string is redacted first."""
    clean = redact_result(result)
    measurements = [
        {"scenario": s.nodeid, "scenario_name": s.name, **_measurement(m)}
        for s in clean.scenarios
        if s.timeline is not None
        for m in s.timeline.measurements
    ]
    return {
        "schema": SCHEMA_ID,
        "kind": clean.kind,
        "run_id": clean.run_id,
        "verdict": clean.verdict,
        "started": clean.started,
        "finished": clean.finished,
        "duration": _seconds(clean.duration),
        "target": _target(clean.target),
        "selection": clean.selection,
        "notes": list(clean.notes),
        "summary": outcome_counts(clean),
        "scenarios": [_scenario(s) for s in clean.scenarios],
        "measurements": measurements,
        "score": score_dict(readiness) if readiness is not None else None,
        "monitored_kpis": [
            {
                "key": k.key,
                "source": k.source,
                "outcome": k.outcome,
                "value": k.value,
                "condition": k.condition,
                "window": _seconds(k.window),
                "detail": k.detail,
            }
            for k in clean.measured_kpis
        ],
    }


def write_json(result: RunResult, path: Path, readiness: Readiness | None = None) -> None:
    """Write ``readiness.json`` (redacted) atomically, creating the directory."""
    text = json.dumps(readiness_dict(result, readiness), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text)


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``readiness.json``, as shipped in the package."""
    text = resources.files("opsready.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
