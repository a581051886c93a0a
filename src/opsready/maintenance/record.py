"""What one maintenance run did, as data, and its record in reports/maintenance/ (JSON and Markdown)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from opsready.checks import CheckRun
from opsready.durations import format_duration
from opsready.maintenance.patch import PatchOutcome
from opsready.maintenance.procedures import Outcome
from opsready.monitoring.silence_journal import SilenceOutcome
from opsready.targets.maintenance import Backup, Certificate, DiskUsage, Housekeeping, LogRotation, RestoreCheck


@dataclass(frozen=True)
class Authorisation:
    """Whether the run was inside an allowed window, or forced outside it (and why)."""

    start: str  # ISO 8601 UTC
    end: str  # start + planned duration
    in_window: bool
    refusal: str = ""  # why it would have been refused
    forced_reason: str = ""

    def describe(self) -> str:
        """'inside the allowed window' or 'FORCED outside the allowed window: <reason>'."""
        if self.in_window:
            return "inside an allowed maintenance window"
        return f"FORCED ({self.refusal}); reason: {self.forced_reason}"


@dataclass(frozen=True)
class MaintenanceRecord:
    """One maintenance run: authorisation, checks before and after, what the work measured, duration vs the KPI."""

    procedure: str
    title: str
    runbook: str
    target: str
    started: str
    finished: str
    seconds: float
    max_duration: float
    planned: float
    outcome: Outcome
    authorisation: Authorisation
    pre: CheckRun
    post: CheckRun | None
    validation: str  # the procedure's own verdict on its work
    error: str = ""
    backup: Backup | None = None
    restore: RestoreCheck | None = None
    housekeeping: Housekeeping | None = None
    rotation: LogRotation | None = None
    disk: DiskUsage | None = None
    certificate: Certificate | None = None
    patch: PatchOutcome | None = None
    notices: tuple[Path, ...] = ()
    silence: SilenceOutcome | None = None  # the alerts silenced for the window, or why none were

    @property
    def within_kpi(self) -> bool:
        """The story's KPI: planned maintenance finishes within the maximum duration (2 hours)."""
        return self.seconds <= self.max_duration

    @property
    def ok(self) -> bool:
        """Succeeded, validated afterwards, and within the KPI."""
        return self.outcome == "succeeded" and self.post is not None and self.post.ok and self.within_kpi

    def summary(self) -> str:
        """One line: outcome, duration vs KPI, validation."""
        kpi = "within" if self.within_kpi else "OVER"
        return (
            f"{self.procedure}: {self.outcome} in {format_duration(self.seconds)} ({kpi} the "
            f"{format_duration(self.max_duration)} limit); {self.validation}"
        )


def to_json(record: MaintenanceRecord) -> dict[str, object]:
    """The record as JSON-ready data (paths as strings)."""
    data = dataclasses.asdict(record)
    data["ok"] = record.ok
    data["within_kpi"] = record.within_kpi
    result: dict[str, object] = json.loads(json.dumps(data, default=str))
    return result


def to_markdown(record: MaintenanceRecord) -> str:
    """The record for people."""
    lines = [
        f"# Maintenance: {record.title}",
        "",
        f"- Procedure: `{record.procedure}` (runbook `{record.runbook}`) on target `{record.target}`",
        f"- Started {record.started}, finished {record.finished}",
        f"- Outcome: **{record.outcome}**" + (f" ({record.error})" if record.error else ""),
        f"- Duration: {format_duration(record.seconds)} (KPI: under {format_duration(record.max_duration)}; "
        f"{'met' if record.within_kpi else 'MISSED'}), planned {format_duration(record.planned)}",
        f"- Authorisation: {record.authorisation.describe()}",
        f"- Validation: {record.validation}",
        f"- Alerts: {record.silence.describe() if record.silence is not None else 'no silence: not asked'}",
        "",
        "## Checks",
    ]
    for run in (record.pre, record.post):
        if run is None:
            continue
        lines += [f"### {run.name}", *[f"- {r.name}: {r.observation.describe()}" for r in run.results], ""]
    if record.notices:
        lines += ["## Notices", *[f"- {p}" for p in record.notices], ""]
    return "\n".join(lines) + "\n"


def write_record(record: MaintenanceRecord, directory: Path, stamp: str) -> Path:
    """Write ``<stamp>-<procedure>.json`` and ``.md`` into ``directory``; returns the JSON path."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"{stamp}-{record.procedure}"
    json_path = base.with_suffix(".json")
    json_path.write_text(json.dumps(to_json(record), indent=2) + "\n", encoding="utf-8")
    base.with_suffix(".md").write_text(to_markdown(record), encoding="utf-8")
    return json_path
