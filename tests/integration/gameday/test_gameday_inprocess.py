"""A game day played in-process through the drills floor (no CLI, no subprocess): a one-scenario plan against a real
sandbox, unattended, asserted on the returned result dataclass and on the target afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.drills.gameday import GameDay, prepare_gameday, read_gameday
from opsready.targets.faults import faults_of
from opsready.targets.registry import open_target
from tests.integration.chaos.chaos_harness import Env, wait_healthy

pytestmark = pytest.mark.gameday
STAGES = ("injected", "detected", "classified", "acknowledged", "mitigated", "recovered")
PLAN = """\
title: in-process game day
date: 2026-12-03
target: sandbox
roles:
  incident_commander: Alex Morgan
  scribe: Blake Chen
  responders: [Casey Diaz]
load:
  clients: 2
  rate: 20
  max_duration: 3 minutes
scenarios:
  - name: orders not fulfilled
    experiment: worker-stopped
    runbook: incident-feature-not-working
    severity: medium
    time_box: 2 minutes
    checkpoints:
      - the responder finds the growing backlog on the metrics page
"""


def test_a_short_game_day_plays_in_process_and_returns_its_result(
    gameday_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drills floor plays the plan with the automatic responder: one passed scenario with every stage in order,
    the four measurements within the severity's targets, the journal, notices and review as artifacts, the runbooks
    named, and no fault left on the sandbox."""
    for name in ("OPSREADY_STATE_DIR", "OPSREADY_PORTS", "OPSREADY_CONFIG"):  # this sandbox's, as the CLI gets them
        monkeypatch.setenv(name, gameday_env.env[name])
    plan_path = tmp_path / "short.yaml"
    plan_path.write_text(PLAN, encoding="utf-8")
    config = load_config(gameday_env.config)
    inputs = read_gameday(config, plan_path)
    target = open_target(config, inputs.plan.target)
    prepared = prepare_gameday(inputs, target)
    assert [p.planned.plan.incident for p in prepared] == ["incident-feature-not-working"]
    said: list[str] = []

    played = GameDay(inputs, target, prepared, auto=True, say=said.append).play()

    run = played.run
    assert not played.stopped
    assert (run.kind, run.selection) == ("gameday", "gameday short.yaml")
    assert [s.name for s in run.scenarios] == ["orders not fulfilled"]
    scenario = run.scenarios[0]
    assert scenario.outcome == "passed", scenario.message
    assert scenario.runbooks == ("incident-feature-not-working",)
    assert scenario.duration <= 120.0
    assert scenario.timeline is not None
    firsts = {e.kind: e for e in reversed(scenario.timeline.events)}
    assert all(kind in firsts for kind in STAGES), sorted(firsts)
    assert [firsts[k].at for k in STAGES] == sorted(firsts[k].at for k in STAGES), "stages out of order"
    assert firsts["classified"].detail.startswith("medium:"), firsts["classified"].detail
    assert firsts["acknowledged"].source == "auto"
    measured = {m.name: m for m in scenario.timeline.measurements}
    assert set(measured) == {"time to detect", "time to acknowledge", "time to mitigate", "time to recover"}
    assert all(m.ok for m in measured.values()), [m.describe() for m in measured.values()]
    assert scenario.traffic, "no background load was recorded for the scenario"
    kinds = sorted({a.kind for a in run.artifacts})
    assert kinds == ["comms", "journal", "review"], kinds
    assert all(Path(a.path).is_file() for a in run.artifacts)
    assert "incident-feature-not-working" in {r.id for r in run.runbooks}
    assert "responder on the keyboard: automatic responder (CI)" in run.notes, run.notes
    adherence = scenario.adherence  # the automatic responder's steps, recorded as a person's would be
    assert adherence is not None
    assert [(i.kind, i.number) for i in adherence.planned] == [("step", n) for n in range(1, 8)] + [("checkpoint", 1)]
    assert adherence.planned[0].path == "runbooks/incidents/feature-not-working.md"
    assert [c.item.number for c in adherence.confirmed] == [1, 2, 3, 5, 6, 7]  # 4 (investigate) is a person's
    assert {(c.status, c.role) for c in adherence.confirmed} == {("done", "automatic responder")}
    (review,) = [Path(a.path) for a in run.artifacts if a.kind == "review"]
    assert "6 of 8 planned steps and checkpoints were confirmed done" in review.read_text()
    assert any("scenario 1 'orders not fulfilled': passed" in line for line in said), said
    assert all(o.ok for o in faults_of(target).fault_residue()), [
        o.describe() for o in faults_of(target).fault_residue()
    ]
    assert not wait_healthy(gameday_env), "the sandbox is not healthy after the game day"
