"""Reports: publishing a gate-sized run (history line, score, readiness.json/.md/.html) and reading a long history.

A run of nine scenarios with 20 s of per-second background traffic each (the size of `opsready gate`) is published
into a temporary directory whose history already holds N earlier runs. Prints medians and how publishing scales with
the history; compare with the gate's wall time (about 2 minutes) to see what reports add to a gate.

It also measures the runbook quality report (`opsready runbooks report`, issue 18) over a synthetic history of 1,000
runs (gates, drills and game days with responders, recoveries and adherence marks) and this suite's runbooks.

    .venv/bin/python benchmarks/bench_report.py [--runs 5] [--only publish|quality]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from _common import summary

from opsready.report import append_history, publish, read_history, render_html, summarize
from opsready.report.history import to_json
from opsready.results import RunbookInfo, RunbookStep, RunResult, ScenarioResult, StepRef, TrafficPoint
from opsready.timeline import Event, Measurement, TimelineRecord

HISTORIES = (0, 200, 1000)
SUITE = Path(__file__).resolve().parent.parent
QUALITY_RUNS = 1000


def scenario(n: int) -> ScenarioResult:
    """A rollback drill with 20 s of traffic and the events of a deployment rolled back."""
    events = tuple(
        Event(kind, at, "2026-11-27T10:00:00.000Z", detail)
        for kind, at, detail in (
            ("deploy_started", 2.0, "1.2.0 -> 1.3.0-errors"),
            ("deployed", 2.4, "1.3.0-errors"),
            ("detected", 4.0, "error_rate: 33 %"),
            ("rollback_started", 4.0, "error_rate"),
            ("rolled_back", 4.5, "1.2.0"),
            ("healthy", 5.3, "1.2.0"),
        )
    )
    measurements = (
        Measurement("time to detect", "deployed", "detected", 1.6, 60.0),
        Measurement("time to recover", "deployed", "healthy", 2.9, 300.0),
    )
    traffic = tuple(TrafficPoint(float(t), 40, 12 if 2 <= t < 5 else 0, 0.012 + 0.001 * (t % 3)) for t in range(20))
    return ScenarioResult(
        f"steps/test_rollback.py::test_{n}",
        f"Drill {n}",
        "Rollback procedures",
        "passed",
        12.0,
        ("rollback",),
        timeline=TimelineRecord(f"drill {n}", "2026-11-27T10:00:00.000Z", events, measurements),
        traffic=traffic,
        runbook_steps=(StepRef("rollback", 1 + n % 7),),
    )


def gate_run() -> RunResult:
    """Nine scenarios and six runbooks of seven steps."""
    steps = tuple(RunbookStep(i, f"step {i}") for i in range(1, 8))
    categories = ("deployment", "rollback", "incident", "troubleshooting", "capacity", "maintenance")
    return RunResult(
        "2026-11-27T10:00:00Z",
        "2026-11-27T10:02:00Z",
        120.0,
        None,
        tuple(scenario(n) for n in range(9)),
        kind="gate",
        run_id="bench",
        runbooks=tuple(RunbookInfo(c if c != "rollback" else "rollback", c, c, "", steps) for c in categories),
    )


def quality_history(path: Path, size: int) -> None:
    """``size`` runs over a year: every fifth a game day with a responder, TTA/TTM/TTR and adherence marks."""
    base = summarize(gate_run())
    people = ("alice", "bob", "carol")
    lines = []
    for i in range(size):
        day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=8 * i)
        run = replace(base, run_id=f"r{i}", finished=day.isoformat().replace("+00:00", "Z"))
        data = to_json(replace(run, kind="gameday", responder=people[i % 3]) if i % 5 == 0 else run)
        for n, scenario in enumerate(data["scenarios"]):
            scenario["measurements"] += [
                {"name": "time to acknowledge", "seconds": 30.0 + i % 17, "target": 900.0, "ok": True},
                {"name": "time to mitigate", "seconds": 60.0 + i % 23, "target": 300.0, "ok": True},
            ]
            if i % 5 == 0:
                items = [
                    {"kind": "step", "source": "rollback", "path": "runbooks/rollback.md", "line": 10 + k, "number": k}
                    | {"text": f"step {k}"}
                    for k in range(1, 8)
                ]
                scenario["adherence"] = {
                    "planned": items,
                    "confirmed": [
                        item
                        | {"status": ("done", "skipped", "deviated")[(k + n) % 3], "note": "", "role": "responder"}
                        | {"person": people[i % 3], "at": data["finished"]}
                        for k, item in enumerate(items, start=1)
                    ],
                }
        lines.append(json.dumps(data, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def bench_quality(repeat: int) -> None:
    """The quality report over ``QUALITY_RUNS`` runs: gathering (history, runbooks, tags, git) and computing."""
    from opsready.drills.quality import QualitySources, gather
    from opsready.report.quality import quality_report

    gathers, computes, renders, added = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="opsready-bench-quality-") as tmp:
        history = Path(tmp) / "history.jsonl"
        quality_history(history, QUALITY_RUNS)
        result = gate_run()
        for _ in range(repeat):
            started = time.perf_counter()
            inputs = gather(QualitySources(SUITE, history, Path(tmp) / "reviews"), date(2026, 12, 2), strict=True)
            gathers.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = quality_report(inputs)
            computes.append(time.perf_counter() - started)
            started = time.perf_counter()
            render_html(result, None, None, Path(tmp), report)
            renders.append(time.perf_counter() - started)
            started = time.perf_counter()  # what publish_run adds: the history is already read there
            quality_report(gather(QualitySources(SUITE, reviews=Path(tmp)), date(2026, 12, 2), runs=inputs.runs))
            added.append(time.perf_counter() - started)
    total = [g + c for g, c in zip(gathers, computes, strict=True)]
    print(summary(f"runbook quality report, history of {QUALITY_RUNS} runs", [t * 1000 for t in total], "ms"))
    print(summary("  gather (history, runbooks, tags, git log)", [t * 1000 for t in gathers], "ms"))
    print(summary("  compute the eight metrics", [t * 1000 for t in computes], "ms"))
    print(summary("  render_html with the quality section", [t * 1000 for t in renders], "ms"))
    print(summary("  added to publish (history already read)", [t * 1000 for t in added], "ms"))
    print(f"  adherence: {report.metric('adherence').value}; MTTR: {report.metric('mttr').value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per history size")
    parser.add_argument("--only", choices=("publish", "quality"), default=None, help="measure one part only")
    args = parser.parse_args()
    if args.only != "publish":
        bench_quality(args.runs)
    if args.only == "quality":
        return
    result = gate_run()
    medians = {}
    for size in HISTORIES:
        times, renders, reads = [], [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="opsready-bench-report-") as tmp:
                reports = Path(tmp)
                earlier = summarize(result)
                for i in range(size):
                    append_history(reports / "history.jsonl", replace(earlier, run_id=f"old-{i}"))
                started = time.perf_counter()
                published = publish(result, reports)
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                history = read_history(reports / "history.jsonl")
                reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                render_html(result, published.readiness, history, reports)
                renders.append(time.perf_counter() - started)
                html_kib = published.files[-1].stat().st_size / 1024
        medians[size] = sorted(times)[len(times) // 2]
        print(summary(f"publish, history of {size} runs", [t * 1000 for t in times], "ms"))
        print(summary(f"  read_history ({size + 1} lines)", [t * 1000 for t in reads], "ms"))
        print(summary("  render_html alone", [t * 1000 for t in renders], "ms"))
        print(f"  readiness.html: {html_kib:.0f} KiB")
    print(f"ratio publish(1000 runs) / publish(0 runs): {medians[1000] / medians[0]:.2f}")
    print(f"share of a 118.6 s gate spent publishing (1000 runs of history): {100 * medians[1000] / 118.6:.2f} %")


if __name__ == "__main__":
    main()
