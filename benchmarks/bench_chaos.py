"""Chaos harness: overhead against plain `chaos run`, and how fast faults are reverted after SIGINT/SIGTERM.

Goals (issue 3): ``opsready experiment run`` takes at most 1.2x the wall time of ``chaos run`` on the same experiment
file (both go through the same journal and always-revert activities; the difference is validation with line
numbers, the safety check, timeline and reports), and a fault is reverted within 2 s of an interrupt (median and
worst). Everything runs on a private PostgreSQL sandbox on free ports.

    .venv/bin/python benchmarks/bench_chaos.py [--runs 5] [--trials 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import ROOT, private_sandbox, summary

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the chaos proofs' one small instance of every fault kind (tests/ is a package)
from tests.integration.chaos.chaos_trials import FAULTS

BIN = Path(sys.executable).parent
OVERHEAD_EXPERIMENTS = ("edge-reset", "db-outage", "worker-stopped")


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


def overhead(env: dict[str, str], work: Path, config: Path, runs: int) -> None:
    """Median wall time of each experiment both ways, alternating, and the ratio."""
    ratios = []
    for name in OVERHEAD_EXPERIMENTS:
        path = ROOT / "experiments" / f"{name}.yaml"
        ours, plain = [], []
        for i in range(runs):
            ours.append(
                _timed([str(BIN / "opsready"), "experiment", "run", str(path), "--config", str(config)], env, work)
            )
            journal = work / f"plain-{name}-{i}.json"
            plain.append(
                _timed(
                    [
                        str(BIN / "chaos"),
                        "--log-file",
                        str(work / "chaos.log"),
                        "run",
                        str(path),
                        "--journal-path",
                        str(journal),
                    ],
                    env,
                    work,
                )
            )
        ratio = statistics.median(ours) / statistics.median(plain)
        ratios.append(ratio)
        print(summary(f"{name}: opsready experiment run", ours))
        print(summary(f"{name}: chaos run", plain))
        print(f"{name}: overhead ratio x{ratio:.2f} (goal <= 1.2)")
    print(f"overhead ratio, median over experiments: x{statistics.median(ratios):.2f} (worst x{max(ratios):.2f})")


def _hold_experiment(path: Path, kind: str) -> Path:
    inject = {"name": "f", "kind": kind, "params": FAULTS[kind], "time_limit": "60s"}
    data = {
        "title": f"hold {kind}",
        "controls": [{"name": "opsready", "provider": {"type": "python", "module": "opsready.chaos.control"}}],
        "method": [
            {
                "type": "action",
                "name": "inject",
                "provider": {
                    "type": "python",
                    "module": "opsready.chaos.actions",
                    "func": "inject",
                    "arguments": inject,
                },
                "pauses": {"after": 5},
            }
        ],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _records(journal: Path) -> list[dict[str, object]]:
    out = []
    for line in journal.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def revert_latency(env: dict[str, str], work: Path, config: Path, journals: Path, trials: int) -> None:
    """Signal a harness holding each kind of fault; time from the signal to the journaled, verified revert."""
    reverts: list[float] = []
    exits: list[float] = []
    by_kind: dict[str, list[float]] = {}
    slowest = ("", 0.0)
    for n in range(trials):
        for i, kind in enumerate(FAULTS):
            sig = signal.SIGINT if (i + n) % 2 == 0 else signal.SIGTERM
            before = set(journals.glob("*.jsonl")) if journals.is_dir() else set()
            path = _hold_experiment(work / f"hold-{kind}.yaml", kind)
            cmd = [str(BIN / "opsready"), "experiment", "run", str(path), "--config", str(config)]
            proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            journal = None
            while proc.poll() is None:
                new = [p for p in journals.glob("*.jsonl") if p not in before and p.name != "index.jsonl"]
                if new and any(r.get("record") == "applied" for r in _records(new[0])):
                    journal = new[0]
                    break
                time.sleep(0.01)
            assert journal is not None, f"{kind}: the fault was never applied"
            time.sleep(0.2)
            sent = time.time()
            started = time.monotonic()
            proc.send_signal(sig)
            proc.wait(120)
            exits.append(time.monotonic() - started)
            reverted = [r for r in _records(journal) if r.get("record") == "reverted"]
            assert reverted, f"{kind}: not reverted"
            latency = float(reverted[0]["t"]) - sent  # type: ignore[arg-type]
            reverts.append(latency)
            by_kind.setdefault(kind, []).append(latency)
            if latency > slowest[1]:
                slowest = (f"{kind} ({signal.Signals(sig).name})", latency)
    for kind, values in by_kind.items():
        print(f"  {kind}: worst {max(values):.2f} s, median {statistics.median(values):.2f} s")
    print(summary("revert after SIGINT/SIGTERM (signal -> verified revert journaled)", reverts))
    print(f"worst: {max(reverts):.2f} s ({slowest[0]}); goal < 2 s")
    print(summary("process exit after the signal (includes chaostoolkit finishing the activity's 5 s pause)", exits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per experiment and way, for the overhead")
    parser.add_argument("--trials", type=int, default=2, help="interrupts per fault kind, for the revert latency")
    parser.add_argument("--only", choices=("overhead", "latency"), default=None, help="run one of the two parts")
    args = parser.parse_args()
    with private_sandbox() as target, tempfile.TemporaryDirectory(prefix="opsready-bench-chaos-") as tmp:
        work = Path(tmp)
        state = target.sandbox.layout.state
        config = work / "opsready.yaml"
        config.write_text(
            f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n    ports: auto\n"
            f"reports_dir: {work / 'reports'}\n",
            encoding="utf-8",
        )
        env = dict(os.environ, OPSREADY_STATE_DIR=str(state), OPSREADY_PORTS="auto", OPSREADY_CONFIG=str(config))
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        if args.only != "latency":
            overhead(env, work, config, args.runs)
        if args.only != "overhead":
            revert_latency(env, work, config, state / "faults", args.trials)
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
