"""The chaos commands on bad input: ``path:line`` errors, exit code 2, no traceback, and nothing injected.

The sandbox is never started here: validation, plans and refusals must not need it (and must not touch it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

BIN = Path(sys.executable).parent
EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite directory whose sandbox target lives in tmp_path and is not running."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: state\n    ports: auto\n"
        "  other:\n    platform: sandbox\n    state_dir: other\nsafety:\n  destructive_targets: [sandbox]\n",
        encoding="utf-8",
    )
    return tmp_path


@dataclass(frozen=True)
class Outcome:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


def run(suite: Path, *args: str) -> Outcome:
    """An opsready command against the suite's configuration, in this process (its OPSREADY_* overrides unset)."""
    from opsready.cli.main import cli

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OPSREADY_")}
    result = CliRunner(env=env).invoke(cli, [*args, "--config", str(suite / "opsready.yaml")], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a failure of its own
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_invalid_experiment_is_refused_before_anything_runs(suite: Path) -> None:
    """run, validate and plan all report the same path:line with the offending line, exit 2, and no journal."""
    bad = suite / "bad.yaml"
    bad.write_text((EXPERIMENTS / "db-outage.yaml").read_text().replace("kind: db-stop", "kind: db-stpo"))
    for command in (("experiment", "run"), ("experiment", "validate"), ("plan",)):
        result = run(suite, *command, str(bad))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"{bad}:33: unknown fault kind 'db-stpo' (did you mean 'db-stop'?)" in result.stderr
        assert "kind: db-stpo" in result.stderr and "Traceback" not in result.stderr
    assert not (suite / "state" / "faults").exists(), "a journal was started for an invalid experiment"


def test_a_target_not_allowlisted_is_refused(suite: Path) -> None:
    """safety.destructive_targets decides where faults may go, before anything is read from the target."""
    result = run(suite, "experiment", "run", "--target", "other", str(EXPERIMENTS / "db-outage.yaml"))
    assert result.returncode == 2
    assert "refused: target 'other' is not in safety.destructive_targets of opsready.yaml" in result.stderr
    assert not (suite / "other" / "faults").exists()


def test_plan_describes_every_fault_and_injects_nothing(suite: Path) -> None:
    """The plan names each fault, where it goes, how it is reverted and its time limit; no journal appears."""
    result = run(suite, "plan", str(EXPERIMENTS / "worker-stopped.yaml"))
    assert result.returncode == 0, result.stderr
    assert "inject 'worker-stopped' (process-stop): stop 'worker' through supervisord" in result.stdout
    assert "reverted by the dead-man watchdog 1 min 0 s after injection at the latest" in result.stdout
    assert "1 fault(s) would be injected; this plan injected nothing." in result.stdout
    assert not (suite / "state" / "faults").exists()


def test_recover_with_nothing_to_do_and_fault_kinds(suite: Path) -> None:
    """recover on a target that never had a fault: exit 0; `experiment faults` lists every kind's parameters."""
    result = run(suite, "recover")
    assert result.returncode == 0 and "nothing to recover (0 journal(s) checked)" in result.stdout, result.stderr
    kinds = run(suite, "experiment", "faults")
    assert kinds.returncode == 0
    assert "network-latency (network)" in kinds.stdout and "latency: duration [0.001..60] (required)" in kinds.stdout


def test_recover_lists_an_unreadable_journal_line_and_exits_manual_5(suite: Path) -> None:
    """A corrupt journal is never a traceback: the line is named, exit code 5 (MANUAL), until acknowledged."""
    faults = suite / "state" / "faults"
    faults.mkdir(parents=True)
    journal = faults / "20261127T000000Z-1-abcd.jsonl"
    journal.write_text(
        json.dumps({"record": "run", "run": "r", "pid": 1, "pid_start": -1}) + '\n{"record": "intent", "fau\n'
    )
    result = run(suite, "recover")
    assert result.returncode == 5, result.stdout + result.stderr
    assert f"{journal}:2: unreadable journal record (truncated or corrupt JSON)" in result.stderr
    assert "Traceback" not in result.stderr
    assert run(suite, "recover", "--acknowledge").returncode == 0
    assert run(suite, "recover").returncode == 0


def test_chaos_discover_lists_the_extension(suite: Path) -> None:
    """`chaos discover --no-install opsready` finds the actions and probes (with their arguments)."""
    result = subprocess.run(
        [
            str(BIN / "chaos"),
            "--log-file",
            str(suite / "chaos.log"),
            "discover",
            "--no-install",
            "--no-system-info",
            "--discovery-path",
            str(suite / "discovery.json"),
            "opsready",
        ],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    activities = {a["name"]: a for a in json.loads((suite / "discovery.json").read_text())["activities"]}
    assert {"inject", "revert", "revert_all", "place_orders", "detect", "await_steady_state", "readiness"} <= set(
        activities
    )
    assert [a["name"] for a in activities["inject"]["arguments"]] == [
        "kind",
        "name",
        "params",
        "time_limit",
        "configuration",
    ]
    assert activities["latency"]["type"] == "probe" and {a["name"] for a in activities["latency"]["arguments"]} >= {
        "window",
        "max",
    }
