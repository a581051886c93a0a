"""The release-candidate gate on a real sandbox of its own: end to end through the CLI (the candidate left serving,
READY), refusals through the CLI (exit code 4, the message, nothing deployed), and the synthetic-flaw rehearsal judged
from the traffic users saw: failures stop when the real rollback completes while the flaw is still open in the
journal, and only then does the guard close it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import yaml

from opsready.chaos.readback import read_journal
from opsready.config import load_config
from opsready.drills.candidate import plan_candidate
from opsready.drills.rehearsal import rehearse_flaw
from opsready.profile import traffic_of
from opsready.sandbox import rollout
from opsready.targets.protocol import Target
from opsready.targets.registry import open_target
from opsready.timeline import Timeline
from opsready.traffic import Traffic
from tests.integration.chaos.chaos_harness import Env, start_env, stop_env

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PREVIOUS, CANDIDATE = "1.0.0", "1.1.0"  # the sandbox's initial release, and a good shipped release with no migration


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A PostgreSQL sandbox on free ports serving 1.0.0, and a copy of the repository's suite that drives it."""
    env = start_env(tmp_path_factory.mktemp("candidate"))
    try:
        for name in ("features", "steps", "runbooks", "profiles"):
            shutil.copytree(REPO / name, env.root / name)
        data = yaml.safe_load((REPO / "opsready.yaml").read_text(encoding="utf-8"))
        data["targets"] = yaml.safe_load(env.config.read_text(encoding="utf-8"))["targets"]
        data["default_target"] = "sandbox"
        data["reports_dir"] = str(env.root / "reports")
        env.config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        (env.root / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = features\n", encoding="utf-8")
        yield env
    finally:
        leftovers = stop_env(env)
        assert not leftovers, f"watchdog processes were left behind: {leftovers}"


def gate(env: Env, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``opsready gate`` in the suite's directory, as CI runs it."""
    cmd = [str(BIN / "opsready"), "gate", "--config", str(env.config), "--reports", str(env.root / "reports"), *args]
    cmd += ["--", "-p", "no:cacheprovider", "-p", "no:locust", "-p", "no:anyio"]
    return subprocess.run(cmd, cwd=env.root, env=env.env, capture_output=True, text=True, timeout=timeout, check=False)


def served(env: Env) -> str:
    """The release the service itself says answers (through the edge, as users reach it)."""
    return str(httpx.get(f"{env.sandbox.base_url}/version", timeout=5).json()["version"])


def history(env: Env) -> list[tuple[str, str]]:
    """(version, kind) of every switch the sandbox recorded."""
    return [(r.version, r.kind) for r in rollout.history(env.sandbox)]


def switch_to(env: Env, version: str) -> None:
    """Bring the sandbox to ``version`` with its own switch (test setup, not the thing tested)."""
    if env.sandbox.current_release() != version:
        rollout.switch(env.sandbox, version, "deploy", "test setup")


def test_the_candidate_gate_deploys_rehearses_and_leaves_the_candidate_serving(suite: Env) -> None:
    """READY, exit 0; the four scenarios passed; the history shows the runbook deploy, the manual rollback and the
    trigger's rollback each followed by the candidate again; the candidate serves at the end."""
    switch_to(suite, PREVIOUS)
    before = len(history(suite))
    started = time.monotonic()
    result = gate(suite, "--candidate", CANDIDATE)
    took = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    print(f"release-candidate gate wall time on the sandbox: {took:.1f} s")  # the measured figure
    report = json.loads((suite.root / "reports" / "readiness.json").read_text(encoding="utf-8"))
    outcomes = {s["name"]: s["outcome"] for s in report["scenarios"]}
    assert report["verdict"] == "ready" and set(outcomes.values()) == {"passed"}, outcomes
    assert len(outcomes) == 4 and "The hosts are in the expected state [local]" in outcomes, outcomes
    assert f"candidate {CANDIDATE} over {PREVIOUS} on target sandbox" in output
    assert f"{CANDIDATE} (the candidate) serves on target sandbox: the candidate gate is ready" in output
    switches = history(suite)[before:]
    assert switches == [
        (CANDIDATE, "deploy"),
        (PREVIOUS, "rollback"),
        (CANDIDATE, "deploy"),
        (PREVIOUS, "rollback"),
        (CANDIDATE, "deploy"),
    ], switches
    assert served(suite) == CANDIDATE
    flaw = next(s for s in report["scenarios"] if "synthetic flaw" in s["name"])
    details = " ".join(e["detail"] for e in flaw["timeline"]["events"])
    assert "synthetic flaw (not a defect of the candidate)" in details and "still open in the journal" in details
    assert not list((suite.sandbox.layout.state / "flaws").glob("*.json")), "a flaw file was left behind"


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        ("9.9.9", "candidate 9.9.9 is unknown on target 'sandbox'"),
        (PREVIOUS, f"candidate {PREVIOUS} already serves on target 'sandbox'"),
    ],
    ids=["unknown", "already-serving"],
)
def test_a_refused_candidate_exits_4_with_the_reason_and_deploys_nothing(
    suite: Env, candidate: str, message: str
) -> None:
    """Exit code 4 (REFUSED), the reason on stderr, no scenario run, the history and the serving release unchanged."""
    switch_to(suite, PREVIOUS)
    before, serving = history(suite), served(suite)
    result = gate(suite, "--candidate", candidate)
    assert result.returncode == 4, (result.stdout + result.stderr)[-4000:]
    assert "REFUSED" in result.stderr and message in result.stderr, result.stderr[-3000:]
    assert "nothing was" in result.stderr and "Traceback" not in result.stderr
    assert history(suite) == before and served(suite) == serving == PREVIOUS
    if candidate == PREVIOUS:
        assert "--drills-only" in result.stderr  # the refusal says how to run only the drills


def test_drills_only_runs_the_neutral_drills_against_the_serving_candidate_and_deploys_nothing(suite: Env) -> None:
    """--drills-only with the candidate serving: READY from the platform-neutral drills alone, nothing switched."""
    switch_to(suite, PREVIOUS)
    before = history(suite)
    result = gate(suite, "--candidate", PREVIOUS, "--drills-only")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    report = json.loads((suite.root / "reports" / "readiness.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in report["scenarios"]] == ["The hosts are in the expected state [local]"]
    assert "(drills only: nothing was changed)" in output
    assert history(suite) == before and served(suite) == PREVIOUS


@pytest.fixture
def target(suite: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The sandbox as opsready drives it (in this process, with the suite's environment), serving the previous
    release."""
    for name in ("OPSREADY_STATE_DIR", "OPSREADY_PORTS", "OPSREADY_CONFIG"):
        monkeypatch.setenv(name, suite.env[name])
    switch_to(suite, PREVIOUS)
    opened = open_target(load_config(suite.config), "sandbox")
    try:
        yield opened
    finally:
        opened.close()


def test_the_synthetic_flaw_ends_at_the_rollback_while_still_journaled(suite: Env, target: Target) -> None:
    """From measured traffic: users saw failures once the flaw applied and none from the moment the rollback
    completed, while the journal still had the flaw applied; the guard reverted it only afterwards."""
    config = load_config(suite.config)
    plan = plan_candidate(target, CANDIDATE)  # made as the gate makes it, before the candidate goes out
    switch_to(suite, CANDIDATE)
    timeline = Timeline("rehearsal")
    users = traffic_of(target)  # the orders profile's journeys: the metric triggers count user endpoints only
    with Traffic(target.base_url, clients=4, rate=40.0, max_seconds=120, timeline=timeline, journeys=users) as traffic:
        time.sleep(1.0)
        result = rehearse_flaw(config, target, timeline, plan, error_share=0.3, hold=3.0)
        report = traffic.snapshot()
    assert result.status == "done" and result.synthetic and "synthetic flaw" in result.describe()
    assert result.trigger is not None and result.trigger.trigger == "error_rate", result.describe()
    events = {k: timeline.first(k) for k in ("injected", "rolled_back", "reverted")}
    assert all(events.values()), timeline.kinds()
    injected, rolled_back, reverted = (timeline.t0 + e.at for e in events.values() if e is not None)
    before = report.between(report.samples[0].at, injected)
    flawed = report.between(injected, rolled_back)
    after = report.between(rolled_back, reverted)
    assert before.failed == 0 and before.total > 10, before.describe()
    assert flawed.failed > 0, flawed.describe()
    assert after.total >= 20 and after.failed == 0, after.describe()
    assert served(suite) == PREVIOUS
    # the journal's own word: applied until after the rollback had completed, then reverted
    assert result.journal is not None
    entry = next(f for f in read_journal(result.journal).faults if f.spec and f.spec.kind == "synthetic-flaw")
    assert entry.status == "reverted" and entry.reverted_at is not None
    rolled_back_wall = datetime.fromisoformat(timeline.first("rolled_back").wall.replace("Z", "+00:00"))  # type: ignore[union-attr]
    assert entry.reverted_at > rolled_back_wall.timestamp() + 2.5, "the flaw was closed before the hold ended"
    assert result.open_at_rollback and result.open_after_hold and result.closed
