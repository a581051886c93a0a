"""The interruption matrix: N trials of every interruption, the fault kinds in turn, on one sandbox, within a bound.

The trials reuse the chaos proofs' own driver and checks (``tests/integration/chaos/chaos_trials.py``) and their
independent health check; this module adds the measurements (revert latency, processes left) and the order: trial
``n`` of every interruption before trial ``n + 1`` of any, so a run stopped by its wall-time bound is still even.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsready.chaos.readback import read_journal
from soak.figures import INTERRUPTIONS, Interruption, Trial
from tests.integration.chaos.chaos_harness import Env, Harness, experiment, opsready, wait_healthy
from tests.integration.chaos.chaos_trials import (
    FAULTS,
    PHASES,
    interrupt,
    interrupted_problems,
    killed_with_faults,
    processes_of_run,
    run_id,
)

DEAD_MAN_LIMIT = 4.0  # seconds a fault lives after its injection when nobody but its watchdog reverts it
HEALTHY_WITHIN = 30.0  # seconds the sandbox has to be fully healthy again after a trial
GONE_WITHIN = 5.0  # seconds a run's watchdogs and holders have to exit after their fault is reverted
CLOCK_STEP = 0.2  # seconds the wall clock may drift from the monotonic one in a trial before its latency is void


@dataclass(frozen=True)
class Cell:
    """One trial to run."""

    kind: str
    interruption: Interruption
    n: int


def cells(kinds: tuple[str, ...], trials: int) -> list[Cell]:
    """``trials`` trials of every interruption, round by round (each round is every interruption once); the fault
    kinds take turns, each interruption starting at another kind, so that every kind meets every interruption once
    ``trials`` reaches the number of kinds (14 kinds, 50 trials: each kind 3 or 4 times under each interruption)."""
    return [
        Cell(kinds[(n + i) % len(kinds)], interruption, n)
        for n in range(trials)
        for i, interruption in enumerate(INTERRUPTIONS)
    ]


def run_trial(env: Env, work: Path, cell: Cell, seed: int) -> Trial:
    """Run one trial and measure it; a sandbox left unhealthy is reported in the trial's problems."""
    start = time.monotonic()
    offset = time.time() - start  # the journal's times are wall-clock: a step of the clock would falsify latencies
    rng = f"{seed}-{cell.kind}-{cell.interruption}-{cell.n}"
    if cell.interruption.startswith("SIGKILL"):
        phase = "fault applied"
        harness, problems, latency = _killed(env, work, cell)
    else:
        phase = random.Random(rng).choice(PHASES)
        harness, problems, latency = _signalled(env, work, cell, phase, rng)
    journal = harness.journal()
    view = read_journal(journal) if journal is not None else None
    faults_left = len(view.open_faults) if view is not None else 0
    health = wait_healthy(env, HEALTHY_WITHIN)
    if health:
        faults_left += 1
        problems += [f"unhealthy after {HEALTHY_WITHIN:g} s: {p}" for p in health]
    left = _processes_left(run_id(harness))
    problems += [f"process {pid} of the run still alive" for pid in left]
    step = time.time() - time.monotonic() - offset
    if abs(step) > CLOCK_STEP:
        latency = None
    return Trial(
        cell.kind,
        cell.interruption,
        cell.n,
        phase,
        round(time.monotonic() - start, 3),
        faults_left,
        None if latency is None else round(latency, 3),
        len(left),
        tuple(problems),
        round(step, 3) if abs(step) > CLOCK_STEP else 0.0,
    )


def _fault(cell: Cell, limit: str) -> dict[str, object]:
    return {"name": "f", "kind": cell.kind, "params": FAULTS[cell.kind], "time_limit": limit}


def _signalled(env: Env, work: Path, cell: Cell, phase: str, rng: str) -> tuple[Harness, list[str], float | None]:
    harness = Harness(env, experiment(work / f"{cell.kind}.yaml", [_fault(cell, "60s")]))
    run = interrupt(harness, cell.interruption, phase, rng)
    problems = interrupted_problems(run)
    journal = harness.journal()
    latency = None
    if run.sent is not None and journal is not None:
        reverted = [f.reverted_at for f in read_journal(journal).faults if f.reverted_at is not None]
        latency = max((max(0.0, t - run.sent) for t in reverted), default=None)
    return harness, problems, latency


def _killed(env: Env, work: Path, cell: Cell) -> tuple[Harness, list[str], float | None]:
    dead_man = cell.interruption == "SIGKILL + dead-man"
    limit = f"{DEAD_MAN_LIMIT:g}s" if dead_man else "120s"
    path = experiment(work / f"{cell.kind}-killed.yaml", [_fault(cell, limit)], hold=60)
    harness, killed = killed_with_faults(env, path, 1)
    journal = harness.journal()
    assert journal is not None, "no journal"
    problems: list[str] = []
    if dead_man:
        deadline = time.monotonic() + DEAD_MAN_LIMIT + HEALTHY_WITHIN
        while read_journal(journal).open_faults and time.monotonic() < deadline:
            time.sleep(0.05)
        wanted = "dead-man"
    else:
        result = opsready(env, "recover")
        if result.returncode != 0 or result.stdout.count("reverted ") != 1 or "Traceback" in result.stderr:
            problems.append(f"recover: exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}")
        wanted = "recover"
    view = read_journal(journal)
    problems += [f"not reverted: {f.name}" for f in view.open_faults]
    problems += [f"{f.name} reverted by {f.reverted_by}, not {wanted}" for f in view.faults if f.reverted_by != wanted]
    problems += [f"unreadable: {u}" for u in view.unreadable]
    starts = [f.deadline if dead_man else killed for f in view.faults]
    latencies = [f.reverted_at - t for f, t in zip(view.faults, starts, strict=True) if f.reverted_at is not None]
    return harness, problems, max(latencies, default=None)


def _processes_left(run: str | None) -> list[int]:
    """The run's watchdogs and holders still alive once they have had time to see their fault reverted."""
    if run is None:
        return []
    deadline = time.monotonic() + GONE_WITHIN
    left = processes_of_run(run)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = processes_of_run(run)
    return left


def run_matrix(
    env: Env,
    work: Path,
    todo: list[Cell],
    *,
    seed: int,
    bound: float,
    say: Callable[[str], None],
    trials: list[Trial],
) -> str:
    """Run the trials until done, the bound, or a sandbox that stays broken, adding each to ``trials`` as it ends;
    returns why it stopped early ("" when it did every trial)."""
    start = time.monotonic()
    for i, cell in enumerate(todo):
        if time.monotonic() - start >= bound:
            return f"wall-time bound of {bound:.0f} s reached"
        try:
            trial = run_trial(env, work, cell, seed)
        except AssertionError as exc:  # the harness ended before its fault was applied, or left no journal
            health = wait_healthy(env, HEALTHY_WITHIN)
            trial = Trial(cell.kind, cell.interruption, cell.n, "-", 0.0, 1 if health else 0, None, 0, (str(exc),))
        trials.append(trial)
        latency = "-" if trial.latency is None else f"{trial.latency:.2f} s"
        verdict = "ok" if not trial.problems else "PROBLEM: " + "; ".join(trial.problems)[:300]
        if trial.clock_step:
            verdict += f" (the wall clock stepped {trial.clock_step:+.2f} s: latency not counted)"
        say(
            f"[{i + 1}/{len(todo)} {time.monotonic() - start:.0f} s] {cell.kind} {cell.interruption} "
            f"#{cell.n} ({trial.phase}): revert {latency}, {trial.seconds:.1f} s, {verdict}"
        )
        if trial.faults_left and _still_broken(env, say):
            return "the sandbox stayed unhealthy after recover: later trials would measure nothing"
    return ""


def _still_broken(env: Env, say: Callable[[str], None]) -> bool:
    """After a trial that left a fault: recover, and whether the sandbox is still not healthy."""
    result = opsready(env, "recover")
    say(f"  recover after the problem: exit {result.returncode}: {result.stdout.strip()[:200]}")
    return bool(wait_healthy(env, HEALTHY_WITHIN))
