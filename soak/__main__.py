"""``python -m soak``: the soak run (``make soak``), configured by environment variables, see :mod:`soak`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TypeVar

from opsready.sandbox.adapter import SandboxTarget
from soak.cycles import run_cycles
from soak.figures import Cycles, Part, Row, Trial, as_json, cycles_row, goals_missed, markdown, matrix_rows
from soak.matrix import cells, run_matrix
from tests.integration.chaos.chaos_harness import Env, start_env, stop_env
from tests.integration.chaos.chaos_trials import FAULTS

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("matrix", "cycles")
T = TypeVar("T")


class BadSetting(Exception):
    """A SOAK_* variable that cannot be used."""


@dataclass(frozen=True)
class Settings:
    """What to run, from SOAK_* environment variables (defaults: the full soak)."""

    trials: int  # per interruption; the fault kinds take turns
    cycles: int
    matrix_bound: float  # seconds
    cycles_bound: float
    kinds: tuple[str, ...]
    seed: int
    parts: tuple[str, ...]
    out: Path


def _number(env: dict[str, str], name: str, default: T, kind: Callable[[str], T]) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise BadSetting(f"{name}={raw}: must be a positive number") from None
    if not value > 0:  # type: ignore[operator]
        raise BadSetting(f"{name}={raw}: must be a positive number")
    return value


def _names(env: dict[str, str], name: str, known: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return known
    chosen = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise BadSetting(f"{name}={raw}: unknown {', '.join(unknown) or 'value'}; choose from {', '.join(known)}")
    return chosen


def settings(env: dict[str, str]) -> Settings:
    """The run's settings; raises BadSetting with the variable's name."""
    return Settings(
        trials=_number(env, "SOAK_TRIALS", 50, int),
        cycles=_number(env, "SOAK_CYCLES", 1000, int),
        matrix_bound=_number(env, "SOAK_MATRIX_BOUND", 3600.0, float),
        cycles_bound=_number(env, "SOAK_CYCLES_BOUND", 3600.0, float),
        kinds=_names(env, "SOAK_KINDS", tuple(FAULTS)),
        seed=_number(env, "SOAK_SEED", 20261127, int),
        parts=_names(env, "SOAK_PARTS", PARTS),
        out=Path(env.get("SOAK_OUT") or ROOT / "reports" / "soak"),
    )


def say(line: str) -> None:
    """Progress, as it happens."""
    print(line, flush=True)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every finally: each sandbox is purged


def _sandbox(name: str) -> tuple[Env, Path]:
    root = Path(tempfile.mkdtemp(prefix=f"opsready-soak-{name}-"))
    say(f"{name}: starting a sandbox in {root} (free ports)")
    try:
        return start_env(root), root
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _teardown(env: Env, root: Path, name: str) -> int:
    """Purge the part's sandbox; returns how many watchdogs had to be killed (they count as processes left)."""
    leftovers = stop_env(env)
    shutil.rmtree(root, ignore_errors=True)
    say(f"{name}: sandbox down and purged" + (f"; killed watchdogs left behind: {leftovers}" if leftovers else ""))
    return len(leftovers)


def matrix_part(s: Settings) -> tuple[list[Trial], Part, int]:
    """The interruption matrix on a sandbox of its own."""
    todo = cells(s.kinds, s.trials)
    say(f"matrix: 5 interruptions x {s.trials} trials = {len(todo)}, {len(s.kinds)} fault kinds in turn")
    start = time.monotonic()
    trials: list[Trial] = []
    stopped = "interrupted"
    env, root = _sandbox("matrix")
    try:
        stopped = run_matrix(env, root, todo, seed=s.seed, bound=s.matrix_bound, say=say, trials=trials)
    except KeyboardInterrupt:
        say("matrix: interrupted")
    finally:
        left = _teardown(env, root, "matrix")
        part = Part("interruption matrix", len(todo), len(trials), s.matrix_bound, time.monotonic() - start, stopped)
    return trials, part, left


def cycles_part(s: Settings) -> tuple[Cycles | None, Part]:
    """The deploy/rollback cycles on a sandbox of its own."""
    say(f"cycles: {s.cycles} deploy/rollback cycles")
    start = time.monotonic()
    figures: Cycles | None = None
    stopped = "interrupted"
    env, root = _sandbox("cycles")
    try:
        figures, stopped = run_cycles(SandboxTarget("sandbox", env.sandbox), s.cycles, s.cycles_bound, say)
    finally:
        _teardown(env, root, "cycles")
        done = figures.done if figures is not None else 0
        part = Part("deploy/rollback cycles", s.cycles, done, s.cycles_bound, time.monotonic() - start, stopped)
    return figures, part


def main() -> int:
    """Run the parts asked for, write the results, exit 1 when a goal is missed (2: bad settings)."""
    try:
        s = settings(dict(os.environ))
    except BadSetting as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    trials: list[Trial] = []
    parts: list[Part] = []
    rows: list[Row] = []
    cycles: Cycles | None = None
    try:
        if "matrix" in s.parts:
            trials, part, left = matrix_part(s)
            parts.append(part)
            rows += matrix_rows(trials)
            if left and rows:  # watchdogs still running at the end: left behind by some trial
                rows[-1] = replace(rows[-1], processes_left=rows[-1].processes_left + left)
        if "cycles" in s.parts and not (parts and parts[-1].stopped == "interrupted"):
            cycles, part = cycles_part(s)
            parts.append(part)
            if cycles is not None:
                rows.append(cycles_row(cycles))
    except KeyboardInterrupt:
        say("soak: interrupted; writing what was measured")
    s.out.mkdir(parents=True, exist_ok=True)
    table = markdown(rows, parts, cycles)
    (s.out / "soak.md").write_text(table, encoding="utf-8")
    (s.out / "soak.json").write_text(json.dumps(as_json(rows, parts, trials, cycles), indent=2), encoding="utf-8")
    print(f"\n{table}\nwritten: {s.out / 'soak.json'}, {s.out / 'soak.md'}")
    return 1 if goals_missed(rows, parts) or not parts else 0


if __name__ == "__main__":
    sys.exit(main())
