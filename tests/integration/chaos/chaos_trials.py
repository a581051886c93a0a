"""One interrupted experiment, driven and checked: shared by the chaos proofs (``test_chaos_proofs.py``) and the soak.

Each interruption runs ``opsready experiment run`` with one or more faults in a subprocess and interrupts it: SIGINT,
SIGTERM or SIGINT twice at a phase of the run (the harness must revert by itself), or SIGKILL once the faults are
applied (``opsready recover`` or the dead-man watchdogs must). What the journal shows afterwards is checked here;
the sandbox's real state is checked by :func:`chaos_harness.health_problems`, independently of the fault code.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from opsready.chaos.readback import read_journal
from tests.integration.chaos.chaos_harness import Env, Harness, cmdlines

# one small instance of every fault kind the sandbox offers
FAULTS: dict[str, dict[str, object]] = {
    "process-kill": {"service": "api"},
    "process-stop": {"service": "worker"},
    "process-pause": {"service": "api"},
    "db-stop": {},
    "db-lock": {},
    "db-connections": {},
    "network-latency": {"proxy": "edge", "latency": "100ms"},
    "network-bandwidth": {"proxy": "edge", "rate_kbps": 100},
    "network-reset": {"proxy": "edge"},
    "network-timeout": {"proxy": "db"},
    "network-down": {"proxy": "edge"},
    "cpu-hog": {"workers": 1},
    "memory-pressure": {"share": "0.5%"},
    "bad-release": {"release": "1.3.0-errors"},
    "synthetic-flaw": {"release": "1.0.0", "error_share": "10%"},
}

SIGNALS = ("SIGINT", "SIGTERM", "SIGINT twice")
PHASES = ("before inject", "during the fault", "during the revert")
_RECORD_OF_PHASE = {"before inject": "run", "during the fault": "applied", "during the revert": "reverting"}


@dataclass(frozen=True)
class Interrupted:
    """An experiment run that got SIGINT, SIGTERM or SIGINT twice (or ended before it could)."""

    harness: Harness
    sig: str
    code: int
    sent: float | None  # wall-clock time of the first signal; None: the run was over before it could be sent


def interrupt(harness: Harness, sig: str, phase: str, rng: str) -> Interrupted:
    """Signal a running harness at ``phase`` (random delays seeded by ``rng``) and wait for it to end."""
    reached = harness.wait_for(_RECORD_OF_PHASE[phase])
    if phase == "during the fault":
        time.sleep(random.Random(rng).uniform(0.0, 0.5))
    sent = None
    if reached and harness.proc.poll() is None:
        sent = time.time()
        harness.proc.send_signal(signal.SIGINT if sig.startswith("SIGINT") else signal.SIGTERM)
        if sig == "SIGINT twice":
            time.sleep(random.Random(f"{rng}-2").uniform(0.0, 0.3))
            if harness.proc.poll() is None:
                harness.proc.send_signal(signal.SIGINT)
    return Interrupted(harness, sig, harness.finish(), sent)


def interrupted_problems(run: Interrupted) -> list[str]:
    """What is wrong with an interrupted run's exit and journal (empty: every fault reverted, verified, closed)."""
    allowed = {0}  # the run was over before the signal could be sent
    if run.sent is not None:
        # or death by the signal itself: it landed as the run was already over (every fault reverted by then)
        allowed |= {130 if run.sig.startswith("SIGINT") else 143, -signal.SIGINT, -signal.SIGTERM}
    problems = [] if run.code in allowed else [f"exit code {run.code}"]
    journal = run.harness.journal()
    if journal is None:
        return [*problems, "no journal"]
    view = read_journal(journal)
    problems += [f"unreadable: {u}" for u in view.unreadable]
    problems += [f"not reverted: {f.name}" for f in view.open_faults]
    problems += [f"revert of {f.name} not verified: {f.detail}" for f in view.faults if ": ok" not in f.detail]
    if not view.closed:
        problems.append("the run did not close its journal")
    return problems


def killed_with_faults(env: Env, path: Path, count: int) -> tuple[Harness, float]:
    """Run ``path`` until ``count`` faults are applied, then SIGKILL the harness; returns it and when it was killed."""
    harness = Harness(env, path)
    assert harness.wait_for("applied", count), f"the harness ended early:\n{harness.finish()} {harness.output}"
    killed = time.time()
    harness.proc.send_signal(signal.SIGKILL)
    harness.finish()
    assert harness.proc.returncode == -signal.SIGKILL
    return harness, killed


def run_id(harness: Harness) -> str | None:
    """The run id of a harness run (its journal's name), once the journal exists."""
    journal = harness.journal()
    return journal.stem if journal is not None else None


def processes_of_run(run: str) -> list[int]:
    """Live processes started for one run: its watchdogs (journal path) and holders (fault ids) both name the run id."""
    me = os.getpid()
    return [pid for pid, argv, state in cmdlines() if pid != me and state != "Z" and any(run in a for a in argv)]
