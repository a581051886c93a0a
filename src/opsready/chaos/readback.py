"""Reading fault journals back, tolerantly: whatever can be read is used, the rest is reported line by line.

Used by the dead-man watchdog, ``opsready recover`` and the tests; it never raises on bad content, because the
moment it is needed is exactly when a process died while writing.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from opsready.chaos.journal import INDEX, FaultEntry, JournalView, RunInfo, Unreadable
from opsready.processes import ProcessIdentity
from opsready.targets.diagnostics import ProcessGroup
from opsready.targets.faults import FaultSpec

CLOCK_SLACK = 1.0  # a process's start time (boot time + ticks) may read up to a second early against time.time()
_STATUS = {
    "applied": "applied",
    "reverting": "reverting",
    "reverted": "reverted",
    "revert_failed": "revert_failed",
}


def _run_info(record: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=str(record["run"]),
        pid=int(record["pid"]),
        pid_start=float(record["pid_start"]) if record.get("pid_start") is not None else None,
        started=str(record.get("started", "")),
        experiment=str(record.get("experiment", "")),
        target=str(record.get("target", "")),
        config=str(record.get("config", "")),
        pid_cmdline=tuple(str(a) for a in record.get("pid_cmdline") or ()),
    )


def _identities(record: dict[str, Any]) -> tuple[tuple[str, ProcessIdentity], ...]:
    """The identities journaled with an intent; a damaged one counts as none (its pid is then not trusted)."""
    found = []
    journaled = record.get("processes")
    for name, data in journaled.items() if isinstance(journaled, dict) else ():
        with contextlib.suppress(ValueError):
            found.append((str(name), ProcessIdentity.from_json(data)))
    return tuple(found)


def _epoch(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _intent(record: dict[str, Any], line: int) -> FaultEntry:
    fault_id = str(record["fault"])
    facts = record.get("facts") or {}
    if not isinstance(facts, dict):
        raise ValueError("'facts' must be a mapping")
    try:
        spec: FaultSpec | None = FaultSpec.from_json(record.get("spec"))
        problem = ""
    except ValueError as exc:
        spec, problem = None, f"its spec cannot be read: {exc}"
    return FaultEntry(
        fault_id=fault_id,
        name=str(record.get("name", fault_id)),
        spec=spec,
        facts=tuple((str(k), str(v)) for k, v in facts.items()),
        deadline=float(record.get("deadline", 0.0)),
        line=line,
        status="intent",
        problem=problem,
        processes=_identities(record),
        intent_at=_epoch(record.get("t")),
    )


def read_journal(path: Path) -> JournalView:
    """Read one journal; unreadable lines are collected, never raised."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return JournalView(path, None, (), (Unreadable(path, 0, f"cannot read the file: {exc.strerror}", ""),))
    run: RunInfo | None = None
    faults: dict[str, FaultEntry] = {}
    unreadable: list[Unreadable] = []
    acknowledged: set[int] = set()
    closed = False
    lines = raw.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, text in enumerate(lines, start=1):
        try:
            record = json.loads(text)
            if not isinstance(record, dict) or not isinstance(record.get("record"), str):
                raise ValueError("not a journal record")
            kind = record["record"]
            if kind == "run":
                run = _run_info(record)
            elif kind == "intent":
                entry = _intent(record, number)
                faults[entry.fault_id] = entry
            elif kind == "watchdog":
                entry = faults[str(record["fault"])]
                faults[entry.fault_id] = replace(entry, watchdog_pid=int(record["pid"]))
            elif kind == "armed":
                entry = faults[str(record["fault"])]
                faults[entry.fault_id] = replace(entry, armed=True)
            elif kind == "not_applied":
                entry = faults[str(record["fault"])]
                if entry.status == "intent":  # only before the injection: it never overrides one that happened
                    faults[entry.fault_id] = replace(entry, status="not_applied", detail=str(record.get("reason", "")))
            elif kind in _STATUS:
                entry = faults[str(record["fault"])]
                if entry.status != "reverted":  # a later attempt cannot un-revert a verified revert
                    faults[entry.fault_id] = replace(
                        entry,
                        status=_STATUS[kind],
                        reverted_by=str(record.get("by", entry.reverted_by)),
                        detail=str(record.get("detail", entry.detail)),
                        reverted_at=_epoch(record.get("t")) if kind == "reverted" else None,
                        deadline=_epoch(record.get("deadline")) or entry.deadline,
                    )
            elif kind == "acknowledged":
                acknowledged.update(int(n) for n in record.get("lines", []))
                for fault_id in record.get("faults", []):
                    if str(fault_id) in faults:
                        entry = faults[str(fault_id)]
                        faults[entry.fault_id] = replace(entry, status="reverted", reverted_by="a person")
            elif kind == "closed":
                closed = True
            else:
                raise ValueError(f"unknown record '{kind}'")
        except KeyError as exc:
            unreadable.append(Unreadable(path, number, f"refers to a fault with no readable intent ({exc})", text))
        except (ValueError, TypeError) as exc:
            reason = "truncated or corrupt JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
            unreadable.append(Unreadable(path, number, reason, text[:200]))
    return JournalView(path, run, tuple(faults.values()), tuple(unreadable), frozenset(acknowledged), closed)


def journals(directory: Path) -> tuple[Path, ...]:
    """Every journal in ``directory``: those the index names and those found on disk, oldest first."""
    found: set[Path] = set()
    try:
        index_lines = (directory / INDEX).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        index_lines = []
    for text in index_lines:
        try:
            name = json.loads(text).get("journal")
        except (ValueError, AttributeError):
            continue
        if isinstance(name, str) and "/" not in name and (directory / name).is_file():
            found.add(directory / name)
    if directory.is_dir():
        found.update(p for p in directory.glob("*.jsonl") if p.name != INDEX)
    return tuple(sorted(found))


def journaled_group(directory: Path, group: ProcessGroup) -> str:
    """Which fault of the journals in ``directory`` names this process group ('' when none does): one whose intent
    journaled the identity of a member (its facts name that very process), or whose id the group's holder carries
    on its command line and that was journaled before the group started (a fault id is unknown until its intent)."""
    members = set(group.members)
    for path in journals(directory):
        for fault in read_journal(path).faults:
            where = f"fault {fault.name} ({fault.fault_id}) journaled at {path}:{fault.line}"
            if any(identity in members for _, identity in fault.processes):
                return where
            started_after = fault.intent_at is not None and fault.intent_at <= group.started + CLOCK_SLACK
            if group.fault_id and fault.fault_id == group.fault_id and started_after:
                return where
    return ""
