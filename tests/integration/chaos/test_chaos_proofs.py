"""Proof that faults never outlive a drill, against one real sandbox (the module's).

- The interruption matrix: SIGINT, SIGTERM and double SIGINT at a seeded random phase (before the injection, during
  the fault, during the revert) for every fault type. Each trial runs ``opsready experiment run`` in a subprocess
  with one fault, signals it, and then checks the sandbox independently: every program running, no stopped
  process, proxies passing traffic through, no holder process, no fault session or lock in PostgreSQL, the original
  release serving, an order accepted. The default run is one trial per fault type (signals rotate, phases come from
  the seed); ``OPSREADY_CHAOS_TRIALS=N`` runs N trials per fault type and signal, ``OPSREADY_CHAOS_SEED`` another seed.
- SIGKILL of the harness with every fault type applied: ``opsready recover`` restores the sandbox, and without it
  the dead-man watchdogs do, within the time limit plus a few seconds. Fault types are grouped so that the faults of
  a group can be applied together (every type is in one group); a group's faults are injected in one run.
- A corrupt journal never causes a traceback: recover reverts what it can read and lists the rest (exit code 5, manual).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from opsready.chaos.readback import read_journal
from opsready.chaos.recover import recover
from opsready.sandbox.adapter import SandboxTarget
from opsready.targets.faults import faults_of
from tests.integration.chaos.chaos_harness import (
    Env,
    Harness,
    experiment,
    health_problems,
    opsready,
    wait_healthy,
    watchdogs,
    watchdogs_after,
)
from tests.integration.chaos.chaos_trials import (
    FAULTS,
    PHASES,
    SIGNALS,
    interrupt,
    interrupted_problems,
    killed_with_faults,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.chaos]


def test_the_matrix_covers_every_fault_kind_the_sandbox_offers() -> None:
    """ "Every fault type" is checked, not assumed: a new kind without an entry here fails this test."""
    from opsready.sandbox.faults.catalog import kinds

    assert set(FAULTS) == {kind.name for kind in kinds(postgresql=True)}


SEED = int(os.environ.get("OPSREADY_CHAOS_SEED", "20261127"))
TRIALS = int(os.environ.get("OPSREADY_CHAOS_TRIALS", "0"))


@dataclass(frozen=True)
class Trial:
    """One cell of the matrix."""

    kind: str
    sig: str
    phase: str
    n: int

    def __str__(self) -> str:
        return f"{self.kind}-{self.sig}-{self.phase}-{self.n}".replace(" ", "-")


def _trials() -> list[Trial]:
    rng = random.Random(SEED)
    trials = []
    for i, kind in enumerate(FAULTS):
        signals = SIGNALS if TRIALS else (SIGNALS[i % len(SIGNALS)],)
        for sig in signals:
            for n in range(max(1, TRIALS)):
                trials.append(Trial(kind, sig, rng.choice(PHASES), n))
    return trials


@pytest.mark.parametrize("trial", _trials(), ids=str)
def test_interrupted_experiment_leaves_no_fault(chaos_env: Env, tmp_path: Path, trial: Trial) -> None:
    """Whatever the signal and the moment, every fault is reverted (and verified) and the sandbox is healthy."""
    kind, sig, phase, n = trial.kind, trial.sig, trial.phase, trial.n
    where = f"seed {SEED}, {kind}, {sig} {phase}, trial {n}"
    fault = {"name": "f", "kind": kind, "params": FAULTS[kind], "time_limit": "60s"}
    harness = Harness(chaos_env, experiment(tmp_path / f"{kind}.yaml", [fault]))
    run = interrupt(harness, sig, phase, f"{SEED}-{kind}-{n}")
    problems = interrupted_problems(run)
    assert not problems, f"{where}: {problems}\n{harness.output}"
    problems = wait_healthy(chaos_env, 30.0)
    assert not problems, f"{where}: {problems}\n{harness.output}"
    assert not watchdogs(chaos_env.journals), f"{where}: watchdogs left"


def test_an_action_that_fails_after_the_fault_still_reverts_it(chaos_env: Env, tmp_path: Path) -> None:
    """An exception in a later activity, with no revert in the method, does not leave the fault in place."""
    explode = {
        "type": "action",
        "name": "explode",
        "provider": {"type": "python", "module": "json", "func": "loads", "arguments": {"s": "{"}},
    }
    fault = {"name": "f", "kind": "process-pause", "params": {"service": "worker"}}
    harness = Harness(chaos_env, experiment(tmp_path / "fails.yaml", [fault], hold=0.2, revert=False, then=[explode]))
    harness.finish()
    assert "explode" in harness.output and "failed" in harness.output, harness.output
    view = read_journal(harness.journal() or tmp_path / "missing")
    assert view.faults, harness.output
    assert not view.open_faults, harness.output
    assert not wait_healthy(chaos_env, 30.0)


GROUPS: dict[str, list[dict[str, Any]]] = {
    "release-lock-pause-latency-resources": [
        {"name": "release", "kind": "bad-release", "params": {"release": "1.3.0-slow"}},
        {"name": "orders-locked", "kind": "db-lock"},
        {"name": "worker-paused", "kind": "process-pause", "params": {"service": "worker"}},
        {"name": "edge-slow", "kind": "network-latency", "params": {"proxy": "edge", "latency": "50ms"}},
        {"name": "cpu", "kind": "cpu-hog", "params": {"workers": 1}},
        {"name": "memory", "kind": "memory-pressure", "params": {"share": "0.5%"}},
    ],
    "connections-kill-network-stops": [
        {"name": "slots", "kind": "db-connections"},
        {"name": "api-killed", "kind": "process-kill", "params": {"service": "api"}},
        {"name": "edge-reset", "kind": "network-reset", "params": {"proxy": "edge"}},
        {"name": "edge-silent", "kind": "network-timeout", "params": {"proxy": "edge"}},
        {"name": "db-throttled", "kind": "network-bandwidth", "params": {"proxy": "db", "rate_kbps": 1000}},
        {"name": "db-link-down", "kind": "network-down", "params": {"proxy": "db"}},
        {"name": "worker-stopped", "kind": "process-stop", "params": {"service": "worker"}},
        {"name": "db-down", "kind": "db-stop"},
        {"name": "flaw", "kind": "synthetic-flaw", "params": {"release": "1.0.0", "error_share": "10%"}},
    ],
}


def test_every_fault_type_is_covered() -> None:
    """The groups hold every kind the sandbox offers, once."""
    from opsready.sandbox.faults.catalog import kinds

    grouped = [f["kind"] for faults in GROUPS.values() for f in faults]
    assert sorted(grouped) == sorted(k.name for k in kinds(postgresql=True))


@pytest.mark.parametrize("group", GROUPS)
def test_sigkill_then_recover_restores_everything(chaos_env: Env, tmp_path: Path, group: str) -> None:
    """After SIGKILL with every fault applied, recover reverts them all (exit 0); a second run finds nothing."""
    faults = [dict(f, time_limit="120s") for f in GROUPS[group]]
    harness, _ = killed_with_faults(chaos_env, experiment(tmp_path / f"{group}.yaml", faults, hold=60), len(faults))
    assert health_problems(chaos_env), "the faults should still be in place after SIGKILL"
    first = opsready(chaos_env, "recover")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("reverted ") == len(faults), first.stdout
    assert "Traceback" not in first.stderr
    assert not wait_healthy(chaos_env, 30.0)
    view = read_journal(harness.journal() or tmp_path / "missing")
    assert {f.reverted_by for f in view.faults} == {"recover"} and not view.open_faults
    second = opsready(chaos_env, "recover")
    assert second.returncode == 0 and "nothing to recover" in second.stdout, second.stdout + second.stderr
    assert not watchdogs_after(chaos_env.journals)


@pytest.mark.parametrize("group", GROUPS)
def test_sigkill_without_recover_expires_by_the_dead_man(chaos_env: Env, tmp_path: Path, group: str) -> None:
    """Nobody runs recover: each fault's watchdog reverts it within its time limit plus a few seconds."""
    # long enough for the whole group to be injected before the first limit runs out: each fault waits for its
    # watchdog to arm (up to ~4 s on a loaded machine); a fault whose older sibling expired first is not injected
    limit = 4.0 * len(GROUPS[group])
    faults = [dict(f, time_limit=f"{limit}s") for f in GROUPS[group]]
    harness, _ = killed_with_faults(chaos_env, experiment(tmp_path / f"{group}.yaml", faults, hold=60), len(faults))
    assert not wait_healthy(chaos_env, limit + 30.0)
    journal = harness.journal() or tmp_path / "missing"
    deadline = time.monotonic() + 30.0
    while read_journal(journal).open_faults and time.monotonic() < deadline:
        time.sleep(0.2)  # a holder may end by its own clock a moment before its watchdog journals the revert
    view = read_journal(journal)
    assert not view.open_faults, view.open_faults
    records = [json.loads(line) for line in view.path.read_text().splitlines()]
    reverted_at = {r["fault"]: r["t"] for r in records if r.get("record") == "reverted"}
    for fault in view.faults:
        assert fault.reverted_by == "dead-man", fault
        # expired by its own deadline, or earlier, when an older fault's watchdog reverted it first (newest first)
        assert reverted_at[fault.fault_id] <= fault.deadline + 15.0, (fault, reverted_at[fault.fault_id])
    first_deadline = min(f.deadline for f in view.faults)
    assert min(reverted_at.values()) >= first_deadline - 0.5, "a watchdog fired before any time limit was up"
    assert not watchdogs_after(chaos_env.journals)


def test_corrupt_journal_reverts_what_it_can_and_lists_the_rest(chaos_env: Env, tmp_path: Path) -> None:
    """A torn line and garbage: recover reverts the readable fault, names the unreadable line, exits 3, no trace."""
    fault = {"name": "worker-paused", "kind": "process-pause", "params": {"service": "worker"}, "time_limit": "120s"}
    harness, _ = killed_with_faults(chaos_env, experiment(tmp_path / "corrupt.yaml", [fault], hold=60), 1)
    journal = harness.journal()
    assert journal is not None
    lines = journal.read_text().splitlines()
    torn = len(lines) + 1
    journal.write_text("\n".join(lines) + '\n{"record": "intent", "fault": "x-9", "spec": {"ki', encoding="utf-8")
    first = opsready(chaos_env, "recover")
    assert first.returncode == 5, first.stdout + first.stderr
    assert "reverted worker-paused" in first.stdout
    assert f"{journal}:{torn}" in first.stderr and "Traceback" not in first.stderr
    assert not wait_healthy(chaos_env, 30.0)
    target = faults_of(SandboxTarget("sandbox", chaos_env.sandbox))
    again = recover(target)
    assert again.exit_code == 5 and [s.where for s in again.manual] == [f"{journal}:{torn}"]  # still needs a person
    assert recover(target, acknowledge=True).exit_code == 0
    final = opsready(chaos_env, "recover")
    assert final.returncode == 0 and "nothing to recover" in final.stdout, final.stdout + final.stderr
    assert not watchdogs_after(chaos_env.journals)  # the reverted fault's watchdog ends by itself
