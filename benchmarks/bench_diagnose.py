"""Diagnosis time: `opsready diagnose` on a healthy sandbox and with a fault in place, on a private sandbox.

Goal (issue 6): under 5 s median, and when a component hangs, under the sum of the probe timeouts on the path the
walk took (a hung probe costs at most its question's timeout). Each fault is injected through the chaos guard
(journaled, always reverted) and the same walk `opsready diagnose` runs is timed ``--runs`` times; the command's own
wall time (a fresh Python process, imports included) is timed on the healthy sandbox. Prints medians and ratios.

    .venv/bin/python benchmarks/bench_diagnose.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, private_sandbox, summary

from opsready.chaos.session import Session
from opsready.config import load_config
from opsready.errors import Loc
from opsready.runbooks.parse import find_runbook_files, read_runbook
from opsready.targets.faults import parse_fault_spec
from opsready.timeline import Timeline
from opsready.troubleshooting.evidence import find_culprit
from opsready.troubleshooting.load import load_tree
from opsready.troubleshooting.model import Tree
from opsready.troubleshooting.walk import Walk, walk

TREE = ROOT / "runbooks" / "troubleshooting-tree.yaml"
FAULTS = (  # (label, kind, parameters, expected diagnosis)
    ("database stopped (fails fast)", "db-stop", {}, "database-down"),
    ("api frozen (hangs)", "process-pause", {"service": "api"}, "api-frozen"),
    ("edge blackholed (hangs)", "network-timeout", {"proxy": "edge"}, "edge-blackhole"),
    ("edge +500 ms latency (slow)", "network-latency", {"proxy": "edge", "latency": 0.5}, "edge-latency"),
)


def path_timeouts(tree: Tree, result: Walk) -> float:
    """The sum of the timeouts of the questions the walk asked: its bound on that path."""
    return sum(tree.questions[s.node].timeout for s in result.steps)


def timed_walks(tree: Tree, target: object, runs: int, expect: str) -> tuple[list[float], float]:
    times, bound = [], 0.0
    for _ in range(runs):
        result = walk(tree, target, find_culprit=find_culprit)  # type: ignore[arg-type]
        found = result.diagnosis.id if result.diagnosis else None
        assert found == expect, f"diagnosed {found}, expected {expect}"
        times.append(result.seconds)
        bound = max(bound, path_timeouts(tree, result))
    return times, bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="walks per situation")
    args = parser.parse_args()
    known = {r.declared_id: Path(r.path) for r in map(read_runbook, find_runbook_files(TREE.parent)) if r.declared_id}
    tree = load_tree(TREE, known)
    print(f"tree: {len(tree.questions)} questions, {len(tree.diagnoses)} diagnoses, slowest path {tree.longest():g} s")
    with private_sandbox() as target, tempfile.TemporaryDirectory(prefix="opsready-bench-cfg-") as tmp:
        config_path = Path(tmp) / "opsready.yaml"
        config_path.write_text(
            f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n"
            f"    state_dir: {target.sandbox.layout.state}\n    ports: auto\n"
        )
        config = load_config(config_path)  # the watchdogs reopen this private sandbox, never another
        healthy, bound = timed_walks(tree, target, args.runs, "healthy")
        print(summary("healthy: walk", healthy) + f"; path timeouts {bound:g} s")
        walls = []
        for _ in range(max(3, args.runs // 2)):
            started = time.monotonic()
            cmd = [sys.executable, "-m", "opsready.cli", "diagnose", "--config", str(config_path), "--tree", str(TREE)]
            subprocess.run(cmd, capture_output=True, check=True, timeout=120)
            walls.append(time.monotonic() - started)
        print(summary("healthy: `opsready diagnose` wall time (new process)", walls))
        for label, kind, params, expect in FAULTS:
            session = Session(config, target, Timeline(label), experiment="bench diagnose", say=lambda _: None)
            try:
                spec = parse_fault_spec(session.faults.fault_kinds(), kind, params, 300, Loc("bench"))
                session.guard.inject(kind, spec)
                times, bound = timed_walks(tree, target, args.runs, expect)
            finally:
                session.close()
            ratio = statistics.median(times) / bound
            print(summary(f"{label}: walk to {expect}", times) + f"; path timeouts {bound:g} s, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
