"""The run history: a run summarised, appended as one line, read back; broken lines are skipped and named."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from opsready.errors import Loc
from opsready.report.history import HISTORY_SCHEMA, append_history, from_json, read_history, summarize, to_json
from opsready.results import RunResult, ScenarioResult, StepRef, TrafficPoint
from opsready.timeline import Event, Measurement, TimelineRecord


def deploy_timeline(version: str, rolled_back: bool) -> TimelineRecord:
    """A deployment, rolled back automatically or not."""
    events = [Event("deploy_started", 1.0, "w", f"1.2.0 -> {version}"), Event("deployed", 1.5, "w", version)]
    measurements = [Measurement("time to deploy", "deploy_started", "deployed", 0.5, 300.0)]
    if rolled_back:
        events += [
            Event("detected", 2.0, "w", "error_rate"),
            Event("rollback_started", 2.0, "w", "error_rate"),
            Event("rolled_back", 2.4, "w", "1.2.0"),
            Event("healthy", 3.0, "w", "1.2.0"),
        ]
        measurements.append(Measurement("time to recover", "deployed", "healthy", 1.5, 300.0))
    return TimelineRecord("t", "w", tuple(events), tuple(measurements))


def gate_run(finished: str = "2026-11-27T10:02:03Z") -> RunResult:
    """Three scenarios: a good deployment, a flawed (training) one rolled back, and a failure quoting a secret."""
    good = ScenarioResult(
        "n1", "Good deployment", "Deployment", "passed", 5.0, ("deployment",),
        timeline=deploy_timeline("1.1.0", False),
        traffic=(TrafficPoint(0.0, 40, 0, 0.01), TrafficPoint(1.0, 40, 0, 0.012)),
        runbook_steps=(StepRef("deployment", 3),),
    )  # fmt: skip
    flawed = ScenarioResult(
        "n2", "Flawed release [1.3.0-errors]", "Rollback", "passed", 9.0, ("rollback", "deployment"),
        timeline=deploy_timeline("1.3.0-errors", True),
        traffic=(TrafficPoint(0.0, 40, 0, 0.01), TrafficPoint(1.0, 40, 12, 0.02), TrafficPoint(2.0, 40, 3, 0.02)),
    )  # fmt: skip
    failed = ScenarioResult(
        "n3", "Manual rollback password=CANARY-1", "Rollback", "failed", 1.0, ("rollback",),
        message="token: CANARY-2",
    )  # fmt: skip
    return RunResult(
        "2026-11-27T10:00:00Z", finished, 123.0, None, (good, flawed, failed),
        selection="-m gate", kind="gate", run_id="run-1", training_releases=("1.3.0-errors",),
    )  # fmt: skip


def test_a_run_is_summarised_for_the_history() -> None:
    """Outcomes, runbooks, steps, measurements, counted deployments (training left out) and traffic totals."""
    run = summarize(gate_run())
    assert (run.run_id, run.kind, run.finished, run.verdict, run.selection) == (
        "run-1",
        "gate",
        "2026-11-27T10:02:03Z",
        "not ready",
        "-m gate",
    )
    assert (run.deployments, run.deployments_succeeded) == (1, 1)
    assert (run.requests, run.failed_requests) == (200, 15)
    good = run.scenarios[0]
    assert (good.outcome, good.runbooks, good.steps) == ("passed", ("deployment",), (StepRef("deployment", 3),))
    recover = run.scenarios[1].measured("time to recover")
    assert recover is not None and (recover.seconds, recover.target, recover.ok) == (1.5, 300.0, True)
    assert "CANARY-1" not in json.dumps(to_json(run))


def test_append_then_read_round_trips(tmp_path: Path) -> None:
    """Two appended runs come back equal, oldest first, from a file of two JSON lines."""
    path = tmp_path / "reports" / "history.jsonl"
    first, second = summarize(gate_run("2026-11-26T10:00:00Z")), summarize(gate_run("2026-11-27T10:00:00Z"))
    append_history(path, second)
    append_history(path, first)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["schema"] == HISTORY_SCHEMA for line in lines)
    history = read_history(path)
    assert history.runs == (first, second)
    assert history.skipped == ()


def test_corrupt_lines_are_skipped_and_named(tmp_path: Path) -> None:
    """Garbage, a torn line, another schema, a wrong type and a non-object are skipped; good lines survive."""
    path = tmp_path / "history.jsonl"
    good = json.dumps(to_json(summarize(gate_run())))
    wrong_type = json.loads(good)
    wrong_type["deployments"]["counted"] = "three"
    other_schema = {**json.loads(good), "schema": "something/9"}
    path.write_text(
        "\n".join(
            [good, "not json at all", good[: len(good) // 2], json.dumps(other_schema), "", json.dumps(wrong_type),
             "[1, 2]", good]
        )
        + "\n"
    )  # fmt: skip
    history = read_history(path)
    assert len(history.runs) == 2
    assert history.skipped == tuple(Loc(str(path), n) for n in (2, 3, 4, 6, 7))


def test_a_torn_last_line_does_not_swallow_the_next_run(tmp_path: Path) -> None:
    """After a crash mid-write (no newline at the end), the next append starts on a line of its own."""
    path = tmp_path / "history.jsonl"
    run = summarize(gate_run())
    path.write_text(json.dumps(to_json(run))[:40])
    append_history(path, run)
    history = read_history(path)
    assert history.runs == (run,)
    assert history.skipped == (Loc(str(path), 1),)


def test_missing_history_is_empty(tmp_path: Path) -> None:
    """No file yet: no runs, nothing skipped."""
    history = read_history(tmp_path / "nothing.jsonl")
    assert (history.runs, history.skipped) == ((), ())


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    """Eight writers appending 25 runs each leave 200 whole lines."""
    path = tmp_path / "history.jsonl"
    run = summarize(gate_run())

    def writer(n: int) -> None:
        for i in range(25):
            append_history(path, replace(run, run_id=f"w{n}-{i}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    history = read_history(path)
    assert history.skipped == ()
    assert sorted(r.run_id for r in history.runs) == sorted(f"w{n}-{i}" for n in range(8) for i in range(25))


def test_unknown_kind_is_rejected() -> None:
    """A line with a kind that is not gate, gameday or drill does not load."""
    data = to_json(summarize(gate_run()))
    data["kind"] = "party"
    with pytest.raises(ValueError, match="party"):
        from_json(data)


def test_unknown_verdict_or_scenario_outcome_is_rejected() -> None:
    """Verdicts and outcomes are closed vocabularies: a line with another word does not load."""
    data = to_json(summarize(gate_run()))
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        from_json({**data, "verdict": "maybe"})
    scenarios = [dict(s) for s in data["scenarios"]]
    scenarios[0]["outcome"] = "xpassed"
    with pytest.raises(ValueError, match="unknown outcome 'xpassed'"):
        from_json({**data, "scenarios": scenarios})
    assert from_json(data).verdict in ("ready", "not ready")
