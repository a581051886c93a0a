"""The run history: one JSON line per gate, game-day or drill run in ``reports/history.jsonl``.

Each line summarises a run (outcomes, runbooks and steps, measurements, deployments, traffic totals) so trends and
the readiness score can be computed without the full reports of earlier runs. Appending is one ``write`` under an
exclusive lock; reading skips lines it cannot understand (a torn line after a crash, an edit by hand) and says
which, so one bad line never hides the rest of the history.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsready.adherence import Adherence, adherence_from_json, adherence_to_json
from opsready.errors import Loc, ValidationError
from opsready.report.analysis import subject
from opsready.report.kpi import deployment_count, traffic_totals
from opsready.report.redact import redact_result
from opsready.results import (
    OUTCOMES,
    RESPONDER_NOTE,
    RUN_KINDS,
    VERDICTS,
    Outcome,
    RunKind,
    RunResult,
    StepRef,
    Verdict,
)

HISTORY_SCHEMA = "opsready.history/2"  # 2: a game-day scenario may carry its adherence record
READABLE_SCHEMAS = ("opsready.history/1", HISTORY_SCHEMA)
HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class PastMeasurement:
    """A measured duration of an earlier run."""

    name: str
    seconds: float
    target: float | None
    ok: bool


@dataclass(frozen=True)
class PastScenario:
    """A scenario of an earlier run: what it verified and what it measured."""

    name: str
    feature: str
    outcome: Outcome
    runbooks: tuple[str, ...]
    steps: tuple[StepRef, ...]
    subject: str
    measurements: tuple[PastMeasurement, ...]
    adherence: Adherence | None = None  # game days: the runbook steps and checkpoints and what was done of each

    def measured(self, name: str) -> PastMeasurement | None:
        """The measurement of that name, or None."""
        return next((m for m in self.measurements if m.name == name), None)


@dataclass(frozen=True)
class PastRun:
    """One line of the history."""

    run_id: str
    kind: RunKind
    started: str
    finished: str
    verdict: Verdict
    target: str
    selection: str
    scenarios: tuple[PastScenario, ...]
    deployments: int = 0
    deployments_succeeded: int = 0
    requests: int = 0
    failed_requests: int = 0
    responder: str = ""  # who responded in a game day ("" when not recorded)

    @property
    def deployment_rate(self) -> float | None:
        """Deployment success rate of the run, or None when it made no deployment that counts."""
        return self.deployments_succeeded / self.deployments if self.deployments else None


@dataclass(frozen=True)
class History:
    """The runs read back, oldest first, and where lines had to be skipped."""

    runs: tuple[PastRun, ...]
    skipped: tuple[Loc, ...] = ()


def summarize(result: RunResult) -> PastRun:
    """The history line of a run (from the redacted result: nothing secret reaches the history)."""
    clean = redact_result(result)
    deployed = deployment_count(clean)
    total, failed, _, _ = traffic_totals(clean)
    scenarios = tuple(
        PastScenario(
            name=s.name,
            feature=s.feature,
            outcome=s.outcome,
            runbooks=s.runbooks,
            steps=s.runbook_steps,
            subject=subject(s),
            measurements=tuple(
                PastMeasurement(m.name, round(m.seconds, 3), m.target, m.ok)
                for m in (s.timeline.measurements if s.timeline is not None else ())
            ),
            adherence=s.adherence,
        )
        for s in clean.scenarios
    )
    return PastRun(
        run_id=clean.run_id,
        kind=clean.kind,
        started=clean.started,
        finished=clean.finished,
        verdict=clean.verdict,
        target=clean.target.name if clean.target is not None else "",
        selection=clean.selection,
        scenarios=scenarios,
        deployments=deployed.counted,
        deployments_succeeded=deployed.succeeded,
        requests=total,
        failed_requests=failed,
        responder=next((n[len(RESPONDER_NOTE) :] for n in clean.notes if n.startswith(RESPONDER_NOTE)), ""),
    )


def to_json(run: PastRun) -> dict[str, Any]:
    """The run as one JSON object (the history line)."""
    data: dict[str, Any] = {
        "schema": HISTORY_SCHEMA,
        "run_id": run.run_id,
        "kind": run.kind,
        "started": run.started,
        "finished": run.finished,
        "verdict": run.verdict,
        "target": run.target,
        "selection": run.selection,
        "deployments": {"counted": run.deployments, "succeeded": run.deployments_succeeded},
        "traffic": {"requests": run.requests, "failed": run.failed_requests},
        "scenarios": [
            {
                "name": s.name,
                "feature": s.feature,
                "outcome": s.outcome,
                "runbooks": list(s.runbooks),
                "steps": [[ref.runbook, ref.step] for ref in s.steps],
                "subject": s.subject,
                "measurements": [
                    {"name": m.name, "seconds": m.seconds, "target": m.target, "ok": m.ok} for m in s.measurements
                ],
                **({"adherence": adherence_to_json(s.adherence)} if s.adherence is not None else {}),
            }
            for s in run.scenarios
        ],
    }
    if run.responder:
        data["responder"] = run.responder
    return data


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise TypeError(f"'{key}' has the wrong type")
    return value


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"'{key}' is not a number")
    return float(value)


def _scenario(data: Mapping[str, Any]) -> PastScenario:
    if data.get("outcome") not in OUTCOMES:
        raise ValueError(f"unknown outcome {data.get('outcome')!r}")
    steps = tuple(StepRef(str(rid), int(step)) for rid, step in _get(data, "steps", list))
    measurements = tuple(
        PastMeasurement(_get(m, "name", str), float(_number(m, "seconds") or 0.0), _number(m, "target"), bool(m["ok"]))
        for m in _get(data, "measurements", list)
    )
    try:
        adherence = adherence_from_json(data["adherence"], Loc("")) if data.get("adherence") is not None else None
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc
    return PastScenario(
        name=_get(data, "name", str),
        feature=_get(data, "feature", str),
        outcome=_get(data, "outcome", str),
        runbooks=tuple(str(r) for r in _get(data, "runbooks", list)),
        steps=steps,
        subject=_get(data, "subject", str),
        measurements=measurements,
        adherence=adherence,
    )


def from_json(data: Mapping[str, Any]) -> PastRun:
    """A history line back as data; anything malformed raises KeyError, TypeError or ValueError."""
    if data.get("schema") not in READABLE_SCHEMAS:
        raise ValueError(f"not a {HISTORY_SCHEMA} line")
    if data.get("kind") not in RUN_KINDS:
        raise ValueError(f"unknown run kind {data.get('kind')!r}")
    if data.get("verdict") not in VERDICTS:
        raise ValueError(f"unknown verdict {data.get('verdict')!r}")
    deployments = _get(data, "deployments", dict)
    traffic = _get(data, "traffic", dict)
    return PastRun(
        run_id=_get(data, "run_id", str),
        kind=_get(data, "kind", str),
        started=_get(data, "started", str),
        finished=_get(data, "finished", str),
        verdict=_get(data, "verdict", str),
        target=_get(data, "target", str),
        selection=_get(data, "selection", str),
        scenarios=tuple(_scenario(s) for s in _get(data, "scenarios", list)),
        deployments=_get(deployments, "counted", int),
        deployments_succeeded=_get(deployments, "succeeded", int),
        requests=_get(traffic, "requests", int),
        failed_requests=_get(traffic, "failed", int),
        responder=data["responder"] if isinstance(data.get("responder"), str) else "",
    )


def append_history(path: Path, run: PastRun) -> None:
    """Append the run as one line; concurrent writers never interleave (one write under an exclusive lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(to_json(run), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # a crash mid-line leaves no newline: start afresh so the torn line stays alone and is skipped on reading
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)  # closing releases the lock


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def read_history(path: Path) -> History:
    """Every readable run, oldest first; unreadable lines are skipped and listed (a missing file is no history)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return History(())
    runs: list[PastRun] = []
    skipped: list[Loc] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            runs.append(from_json(data))
        except (KeyError, TypeError, ValueError):
            skipped.append(Loc(str(path), number))
    return History(tuple(sorted(runs, key=lambda r: r.finished)), tuple(skipped))
