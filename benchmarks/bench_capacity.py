"""Capacity planning benchmarks on a private sandbox (loopback only; every load bounded in time).

1. Harness overhead: requests per second that harness-driven locust (``LoadRun``: subprocess, own session, per-request
   samples, watchdog) reaches vs plain ``locust`` with the same locustfile, users and duration, no think time.
   Runs alternate so drift on a shared machine hits both alike. Goal: ratio >= 0.95.
2. Capacity finder vs a fine-grained sweep: the knee the finder reports vs the highest load a sweep in 1/s steps
   sustains, with the same step length and criteria, on the sandbox with 50 ms added to every request on the users'
   link (each request then holds a gunicorn worker ~60 ms: a worker-bound service, gentle on a shared CPU).
   The sweep runs every level from the finder's start in steps of 1/s until two levels in a row fail; its answer is
   the highest level that passed. Finder runs and sweeps alternate. Goal: the medians within 10 %, the finder in at
   most a third of the sweep's time.

    python benchmarks/bench_capacity.py [--runs 3] [--seconds 15] [--step 6] [--part all|overhead|finder]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import ROOT, private_sandbox, summary

from opsready.capacity.drive import StepMeasurer, measure_capacity
from opsready.capacity.finder import finder_thresholds
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.runner import LoadRun
from opsready.capacity.settings import load_settings
from opsready.config import Config, load_config
from opsready.drills.links import SlowLinks
from opsready.sandbox.adapter import SandboxTarget

LOCUSTFILE = ROOT / "loadtests/locustfile.py"
USERS = 20


def locust_rps(stats: Path) -> tuple[float, int]:
    """Requests per second and requests, from locust's own JSON (same formula for both sides)."""
    entries = json.loads(stats.read_text())
    total = sum(e["num_requests"] for e in entries)
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] for e in entries)
    return total / (end - start), total


def children_cpu() -> float:
    """CPU seconds of the child processes this process has waited for (locust, once it exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plain_locust(url: str, seconds: int, workdir: Path) -> tuple[float, int]:
    """Plain `locust` as a user would run it (no harness hooks)."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url]
    command += ["-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s", "--pacing", "0", "--only-summary"]
    command += ["--json-file", str(workdir / "plain")]
    subprocess.run(command, cwd=workdir, check=True, capture_output=True, timeout=seconds + 60)
    return locust_rps(workdir / "plain.json")


def harness_locust(url: str, seconds: int, workdir: Path) -> tuple[float, int]:
    """The same load through the harness."""
    profile = LoadProfile("saturate", users=USERS, spawn_rate=USERS, duration=seconds, pacing=0.0)
    with LoadRun(profile, url, workdir, LOCUSTFILE) as run:
        run.wait()
    return locust_rps(workdir / "stats.json")


def overhead(target: SandboxTarget, runs: int, seconds: int) -> None:
    """Part 1: requests per second, and the load generator's CPU per request (less sensitive to a busy machine)."""
    rps: dict[str, list[float]] = {"harness": [], "plain": []}
    cpu: dict[str, list[float]] = {"harness": [], "plain": []}  # ms of locust CPU per request
    with tempfile.TemporaryDirectory(prefix="opsready-bench-load-") as tmp:
        for i in range(runs):
            pair = [("harness", harness_locust), ("plain", plain_locust)]
            for name, fn in pair if i % 2 == 0 else pair[::-1]:  # alternate who goes first
                workdir = Path(tmp) / f"{name}-{i}"
                workdir.mkdir()
                before = children_cpu()
                rate, total = fn(target.base_url, seconds, workdir)
                rps[name].append(rate)
                cpu[name].append((children_cpu() - before) * 1000 / total)
                print(f"  run {i + 1} {name}: {rate:.1f} requests/s, {cpu[name][-1]:.2f} ms CPU/request", flush=True)
    ratios = [h / p for h, p in zip(rps["harness"], rps["plain"], strict=True)]
    print(summary("harness locust", rps["harness"], "requests/s"))
    print(summary("plain locust", rps["plain"], "requests/s"))
    medians = statistics.median(rps["harness"]) / statistics.median(rps["plain"])
    print(summary("ratio harness/plain", ratios, ""), f"(ratio of medians {medians:.3f}; goal >= 0.95)")
    print(summary("harness locust CPU per request", cpu["harness"], "ms"))
    print(summary("plain locust CPU per request", cpu["plain"], "ms"))
    efficiency = statistics.median(cpu["plain"]) / statistics.median(cpu["harness"])
    print(f"load generator efficiency, plain/harness CPU per request: {efficiency:.3f} (goal >= 0.95)")


def sweep(measure: StepMeasurer, start: float, limit: float) -> tuple[float, int]:
    """Every level from ``start`` in steps of 1/s until two in a row fail; the highest that passed, and the steps."""
    offered, best, steps, failures = start, 0.0, 0, 0
    while offered <= limit and failures < 2:  # one failed level on a shared machine may be noise
        steps += 1
        level = measure(offered)
        failures = 0 if level.ok else failures + 1
        if level.ok:
            best = level.achieved_rps
        offered += 1.0
    return best, steps


def _own_config(target: SandboxTarget) -> Config:
    """A configuration naming the private sandbox, for the latency's dead-man watchdog (it opens the target)."""
    state = target.sandbox.layout.state
    path = state.parent / "opsready.yaml"
    path.write_text(
        f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n", encoding="utf-8"
    )
    os.environ["OPSREADY_STATE_DIR"] = str(state)  # what the watchdog inherits
    return load_config(path)


def finder_vs_sweep(target: SandboxTarget, runs: int, step: float) -> None:
    """Part 2: finder runs and sweeps interleaved (finder, sweep, finder, ...) so both see the same machine."""
    settings = load_settings(ROOT / "loadtests/capacity.yaml", ROOT)
    finder = replace(settings.finder, step_duration=step, warmup=2.0, limit=200.0)
    base = settings.profile(finder.profile)
    found: list[float] = []
    found_time: list[float] = []
    swept: list[float] = []
    swept_time: list[float] = []
    links = SlowLinks(_own_config(target), target)
    links.slow("users", 50, "upstream", time_limit=3600.0)  # through the chaos guard: a killed bench leaves no toxic
    try:
        with tempfile.TemporaryDirectory(prefix="opsready-bench-finder-") as tmp:
            for i in range(runs):
                started = time.monotonic()
                result = measure_capacity(target, settings, Path(tmp) / f"finder-{i}", finder=finder)
                found_time.append(time.monotonic() - started)
                found.append(result.knee_rps)
                offered = ", ".join(f"{s.offered_rps:.1f}" for s in result.steps)
                print(
                    f"  finder {i + 1}: {result.knee_rps:.1f}/s in {len(result.steps)} steps ({offered}), "
                    f"{found_time[-1]:.0f} s",
                    flush=True,
                )
                if i == runs - 1 and i > 0:
                    break  # the sweeps sit between finder runs
                measure = StepMeasurer(
                    target,
                    base,
                    settings=finder,
                    thresholds=finder_thresholds(settings.thresholds),
                    locustfile=settings.locustfile,
                    workdir=Path(tmp) / f"sweep-{i}",
                )
                started = time.monotonic()
                best, steps = sweep(measure, finder.start, finder.limit)
                swept_time.append(time.monotonic() - started)
                swept.append(best)
                print(f"  sweep {i + 1}: {best:.1f}/s in {steps} steps of 1/s, {swept_time[-1]:.0f} s", flush=True)
    finally:
        links.close()
    reference = statistics.median(swept)
    print(summary("finder knee", found, "requests/s"))
    print(summary("sweep answer", swept, "requests/s"))
    difference = abs(statistics.median(found) - reference) / reference
    print(f"finder vs sweep, medians: {difference * 100:.1f} % apart (goal <= 10 %)")
    ratio = statistics.median(found_time) / statistics.median(swept_time)
    print(
        summary("finder time", found_time, "s"),
        f"vs sweep median {statistics.median(swept_time):.0f} s: ratio {ratio:.2f} (goal <= 0.33)",
    )


def main() -> None:
    """Run both parts on one private sandbox."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15, help="length of each overhead run")
    parser.add_argument("--step", type=float, default=6.0, help="length of each finder / sweep step")
    parser.add_argument("--part", choices=("all", "overhead", "finder"), default="all")
    args = parser.parse_args()
    with private_sandbox() as target:
        if args.part in ("all", "overhead"):
            print("harness vs plain locust, no think time:", flush=True)
            overhead(target, args.runs, args.seconds)
        if args.part in ("all", "finder"):
            print("capacity finder vs a sweep in 1/s steps (50 ms on the users' link):", flush=True)
            finder_vs_sweep(target, args.runs, args.step)


if __name__ == "__main__":
    main()
