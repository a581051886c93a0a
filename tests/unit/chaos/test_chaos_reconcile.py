"""The reconcile on start, on a stopped sandbox (its proxy state file is all there is): what the journals say is over
is removed from the state file and journaled as reverted by ``reconcile``; an open fault in time is reported and kept.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from opsready.chaos.readback import read_journal
from opsready.chaos.reconcile import open_faults, reconcile
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.proxy.control import LatencyToxic, ProxyState, read_state, write_state
from opsready.sandbox.proxy.toxics import toxic_to_dict


def _latency(ms: int) -> tuple[dict[str, object], dict[str, str], LatencyToxic]:
    toxic = LatencyToxic(latency_ms=ms, direction="downstream")
    spec = {"kind": "network-latency", "params": {"proxy": "edge", "latency": ms / 1000}, "time_limit": 60}
    return spec, {"toxic": json.dumps(toxic_to_dict(toxic), sort_keys=True)}, toxic


def _setup(tmp_path: Path, faults: list[tuple[str, int, str, float]]) -> tuple[SandboxTarget, Path]:
    """A stopped sandbox whose edge state file has each fault's toxic, and one dead run's journal of those faults
    (id, latency ms, last record, deadline from now)."""
    target = SandboxTarget("sandbox", Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto")))
    journals = target.fault_journal_dir()
    journals.mkdir(parents=True)
    path = journals / "20261202T000000Z-1-abcd.jsonl"
    records: list[dict[str, object]] = [{"record": "run", "run": "r", "pid": 1, "pid_start": -1.0}]
    toxics = []
    for fault_id, ms, last, deadline in faults:
        spec, facts, toxic = _latency(ms)
        toxics.append(toxic)
        records.append({"record": "intent", "fault": fault_id, "name": f"slow-{fault_id}", "spec": spec,
                        "facts": facts, "deadline": time.time() + deadline})  # fmt: skip
        record = {"record": last, "fault": fault_id, "deadline": time.time() + deadline}
        records.append({**record, "by": "a person"} if last == "reverted" else record)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    write_state(target.sandbox.layout.proxies / "edge.json", ProxyState(generation=3, toxics=tuple(toxics)))
    return target, path


def _left(target: SandboxTarget) -> list[int]:
    return [t.latency_ms for t in read_state(target.sandbox.layout.proxies / "edge.json").toxics]  # type: ignore[attr-defined]


def test_an_open_fault_past_its_deadline_is_reverted_and_one_in_time_is_reported(tmp_path: Path) -> None:
    """Expired: removed, journaled reverted by reconcile. In time: kept, and listed by open_faults too."""
    target, path = _setup(tmp_path, [("late", 100, "applied", -5.0), ("on", 200, "applied", 60.0)])
    done = reconcile(target)
    assert [(r.fault_id, r.kind) for r in done.reverted] == [("late", "network-latency")]
    assert [f.fault_id for f in done.open] == ["on"] and "s left" in done.open[0].describe()
    assert _left(target) == [200]
    view = read_journal(path)
    assert [(f.fault_id, f.status, f.reverted_by) for f in view.faults] == [
        ("late", "reverted", "reconcile"),
        ("on", "applied", ""),
    ]
    assert [f.fault_id for f in open_faults(target)] == ["on"]


def test_a_settled_fault_still_in_the_state_file_is_reverted_only_when_rechecked(tmp_path: Path) -> None:
    """Marked reverted, toxic still there: `sandbox up` leaves it (it does not probe settled faults), a starting
    proxy's reconcile (recheck_settled) removes it; a fault on another proxy is not touched by that proxy's."""
    target, path = _setup(tmp_path, [("done", 100, "reverted", 60.0)])
    assert reconcile(target).reverted == () and _left(target) == [100]
    assert reconcile(target, where={"proxy": "db"}, recheck_settled=True).reverted == () and _left(target) == [100]
    done = reconcile(target, where={"proxy": "edge"}, recheck_settled=True)
    assert [r.fault_id for r in done.reverted] == ["done"] and _left(target) == []
    by = [r.get("by") for r in map(json.loads, path.read_text().splitlines()) if r["record"] == "reverted"]
    assert by == ["a person", "reconcile"]


def test_a_settled_fault_like_an_open_one_is_left_to_the_open_one(tmp_path: Path) -> None:
    """The same toxic for a reverted fault and an open one in time: the open fault's toxic stays."""
    target, _ = _setup(tmp_path, [("old", 100, "reverted", 60.0), ("new", 100, "applied", 60.0)])
    write_state(target.sandbox.layout.proxies / "edge.json", ProxyState(generation=4, toxics=(_latency(100)[2],)))
    done = reconcile(target, recheck_settled=True)
    assert done.reverted == () and [f.fault_id for f in done.open] == ["new"] and _left(target) == [100]
