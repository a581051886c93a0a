"""Proofs of issue 9 (game days): the shipped plan runs unattended and its report agrees with the fault journals; the
interactive mode is driven in a real terminal (tmux): acknowledge, add an observation, stop with Ctrl-C, and the
sandbox is healthy afterwards with no fault left.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import time
from datetime import datetime
from typing import Any

import pytest

from opsready.durations import format_duration
from opsready.report.kpi import percent
from tests.integration.chaos.chaos_harness import BIN, Env, opsready, wait_healthy, watchdogs

pytestmark = pytest.mark.gameday
STAGES = ("injected", "detected", "classified", "acknowledged", "mitigated", "recovered")


def _wall(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _journals(env: Env) -> dict[str, list[dict[str, Any]]]:
    """Each game-day journal's records, by the scenario name its run record names."""
    found = {}
    for path in sorted(env.journals.glob("*.jsonl")):
        if path.name == "index.jsonl":
            continue
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        experiment = records[0].get("experiment", "")
        if experiment.startswith("gameday "):
            found[experiment.split(": ", 1)[1]] = records
    return found


def _kpi(html: str, key: str) -> str:
    row = re.search(rf'<tr id="kpi-{key}">(.*?)</tr>', html, re.S)
    assert row, f"no KPI row {key} in the HTML report"
    value = re.search(r'<td class="num">(.*?)</td>', row.group(1), re.S)
    assert value, f"KPI row {key} has no value"
    return value.group(1).strip()


def test_the_q4_plan_runs_unattended_and_its_report_agrees_with_the_journals(gameday_env: Env) -> None:
    """Four scenarios with --auto: every one passed, at the plan's severity, within its time box and targets."""
    done = opsready(gameday_env, "gameday", "gamedays/q4-2026.yaml", "--auto", timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((gameday_env.root / "reports" / "readiness.json").read_text())
    assert report["kind"] == "gameday"
    assert report["verdict"] == "ready"
    expected = [
        ("orders service down", "critical"),
        ("database unavailable", "critical"),
        ("orders not fulfilled", "medium"),
        ("slow network at the edge", "high"),
    ]
    scenarios = report["scenarios"]
    assert [s["name"] for s in scenarios] == [name for name, _ in expected]
    journals = _journals(gameday_env)
    acknowledgements = []
    for scenario, (name, severity) in zip(scenarios, expected, strict=True):
        assert scenario["outcome"] == "passed", scenario["message"]
        assert "gameday" in scenario["markers"]
        assert scenario["duration"] <= 120.0
        events = {e["kind"]: e for e in reversed(scenario["timeline"]["events"])}  # the first of each kind
        assert all(kind in events for kind in STAGES), sorted(events)
        walls = [_wall(events[kind]["wall"]) for kind in STAGES]
        assert walls == sorted(walls), f"{name}: stages out of order"
        assert events["classified"]["detail"].startswith(f"{severity}:"), events["classified"]["detail"]
        assert events["acknowledged"]["source"] == "auto"
        measured = {m["name"]: m for m in report["measurements"] if m["scenario_name"] == name}
        assert set(measured) == {"time to detect", "time to acknowledge", "time to mitigate", "time to recover"}
        assert all(m["ok"] for m in measured.values()), measured
        tta = measured["time to acknowledge"]["seconds"]
        assert tta == pytest.approx(walls[3] - walls[1], abs=0.01)
        acknowledgements.append(tta)
        # the journal of the scenario's fault: applied when the timeline says injected, reverted afterwards
        records = journals[name]
        applied = next(r for r in records if r["record"] == "applied")
        reverted = next(r for r in records if r["record"] == "reverted")
        assert any(r["record"] == "closed" for r in records), f"{name}: journal not closed"
        assert abs(applied["t"] - walls[0]) < 1.0, f"{name}: journal and timeline disagree on the injection"
        assert walls[0] <= reverted["t"] <= walls[-1] + 30.0
        assert scenario["traffic"], f"{name}: no background traffic recorded"
    html = (gameday_env.root / "reports" / "readiness.html").read_text()
    sent = sum(p["requests"] for s in scenarios for p in s["traffic"])
    lost = sum(p["failed"] for s in scenarios for p in s["traffic"])
    assert sent > 100
    assert _kpi(html, "availability") == percent((sent - lost) / sent)
    assert _kpi(html, "mtta") == format_duration(sum(acknowledgements) / len(acknowledgements))
    history = [json.loads(line) for line in (gameday_env.root / "reports" / "history.jsonl").read_text().splitlines()]
    assert history[-1]["kind"] == "gameday"
    assert not wait_healthy(gameday_env)
    assert not watchdogs(gameday_env.journals)


def _screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def _wait_screen(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"'{text}' never appeared on the screen:\n{screen}")


def _keys(session: str, *keys: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *keys], check=True)


@pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (make test installs Debian's tmux as root)"
)
def test_a_person_acknowledges_adds_an_observation_and_stops_with_ctrl_c(gameday_env: Env) -> None:
    """Driven in tmux: the roles are confirmed with Enter, 'a' acknowledges, 'o' + a line is recorded by the scribe,
    Ctrl-C reverts and stops."""
    plan = gameday_env.root / "interactive.yaml"
    text = (gameday_env.root / "gamedays" / "q4-2026.yaml").read_text()
    plan.write_text(text.split("\n  - name: database unavailable")[0] + "\n", encoding="utf-8")
    reports = gameday_env.root / "reports-interactive"
    session = f"opsready-gameday-{int(time.time() * 1000) % 10**8}"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in gameday_env.env.items() if k.startswith("OPSREADY_"))
    command = (
        f"cd {shlex.quote(str(gameday_env.root))} && env {exports} {shlex.quote(str(BIN / 'opsready'))} gameday "
        f"{plan} --reports {reports} --config {gameday_env.config}; echo GAMEDAY-EXIT=$?; sleep 120"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", command], check=True)
    try:
        for role in ("incident commander", "scribe", "responder"):  # Enter keeps the plan's name
            _wait_screen(session, f"who plays the {role}?", 60)
            _keys(session, "Enter")
        _wait_screen(session, "press 'a' to acknowledge", 60)
        _keys(session, "o")
        _wait_screen(session, "Enter records", 10)
        _keys(session, "-l", "users report failed checkouts")
        _keys(session, "Enter")
        _wait_screen(session, "observation: users report failed checkouts", 10)
        _keys(session, "a")
        _wait_screen(session, "press 'm' to declare the mitigation", 30)
        _keys(session, "C-c")
        screen = _wait_screen(session, "GAMEDAY-EXIT=", 60)
        assert "GAMEDAY-EXIT=130" in screen, screen
        assert "every fault was reverted" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
    report = json.loads((reports / "readiness.json").read_text())
    (scenario,) = report["scenarios"]
    assert scenario["outcome"] == "error" and "Ctrl-C" in scenario["message"]
    events = scenario["timeline"]["events"]
    observed = [e for e in events if e["kind"] == "observation"]
    assert [(e["detail"], e["source"]) for e in observed] == [("users report failed checkouts", "scribe")]
    acknowledged = [e for e in events if e["kind"] == "acknowledged"]
    assert len(acknowledged) == 1 and acknowledged[0]["source"] == "person"
    assert any(e["kind"] == "reverted" for e in events)
    assert not wait_healthy(gameday_env), "the sandbox is not healthy after Ctrl-C"
    assert not watchdogs(gameday_env.journals)
