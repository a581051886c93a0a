"""The guard never leaves a fault behind, against a real sandbox (the module's), driven in this process.

- No handshake, no fault: each fault's dead-man watchdog must journal ``armed`` (it opened the target and can revert
  the fault) before the fault is injected. Watchdogs are made to fail for real: a configuration that is gone, a
  configuration that opens another sandbox, an interpreter that cannot start, a configuration that never finishes
  reading. Each time nothing reaches the proxy, the journal says ``not_applied``, no watchdog is left, and the error
  is an :class:`EnvironmentProblem`.
- Every fault is attempted: a revert that fails (an OSError from a fault, a journal that cannot be written) does not
  keep the other faults on the target, and the journal stays open for ``opsready recover``.
- A fault the dead-man already reverted at its time limit is reported as reverted by the dead-man.
- A detection probe proves nothing unless it can fail: a real registered fault kind made harmless (memory pressure
  of 0 %) runs through ``opsready experiment run`` with a detection relative to its baseline, and the experiment
  reports "not detected" and fails, its fault injected and reverted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opsready.chaos.guard import FaultGuard
from opsready.chaos.journal import FaultJournal
from opsready.chaos.readback import read_journal
from opsready.chaos.recover import recover
from opsready.chaos.revert import RevertFailed
from opsready.errors import EnvironmentProblem, Loc, OpsreadyError
from opsready.observation import Observation
from opsready.sandbox.adapter import SandboxTarget
from opsready.targets.faults import Facts, Fault, FaultInjectable, FaultKind, FaultSpec, faults_of, parse_fault_spec
from tests.integration.chaos.chaos_harness import Env, experiment, opsready, watchdogs, watchdogs_after

pytestmark = [pytest.mark.sandbox, pytest.mark.chaos]


@dataclass
class Run:
    """A guard on the module's sandbox, and what it said."""

    guard: FaultGuard
    said: list[str] = field(default_factory=list)

    @property
    def journal(self) -> Path:
        """This run's fault journal."""
        return self.guard.journal.path

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The journal's records of one kind."""
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        return [r for r in map(json.loads, lines) if r.get("record") == kind]


Start = Callable[..., Run]


def _sandbox(env: Env) -> FaultInjectable:
    return faults_of(SandboxTarget("sandbox", env.sandbox))


def latency(env: Env, proxy: str, limit: str = "60s") -> FaultSpec:
    """A 100 ms latency toxic on one of the sandbox's proxies."""
    kinds = _sandbox(env).fault_kinds()
    return parse_fault_spec(kinds, "network-latency", {"proxy": proxy, "latency": "100ms"}, limit, Loc("test"))


def toxics(env: Env, proxy: str) -> list[object]:
    """Toxics a proxy applies or is asked to apply, read from its own files (not through the fault code)."""
    proxies = env.sandbox.layout.proxies
    status = json.loads((proxies / f"{proxy}.status.json").read_text())["toxics"]
    wanted = proxies / f"{proxy}.json"
    return [*status, *(json.loads(wanted.read_text()).get("toxics", []) if wanted.exists() else [])]


@pytest.fixture
def start(chaos_env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """Guards on the module's sandbox; whatever a test leaves is reverted by ``recover`` afterwards."""
    for key in ("OPSREADY_STATE_DIR", "OPSREADY_PORTS", "OPSREADY_CONFIG"):  # what the watchdogs inherit
        monkeypatch.setenv(key, chaos_env.env[key])
    runs: list[Run] = []

    def make(target: FaultInjectable | None = None, config: Path | None = None, arm_timeout: float = 15.0) -> Run:
        target = target or _sandbox(chaos_env)
        journal = FaultJournal.create(target.fault_journal_dir(), "guard test", "sandbox", str(chaos_env.config))
        said: list[str] = []
        guard = FaultGuard(
            target, journal, config or chaos_env.config, "sandbox", say=said.append, arm_timeout=arm_timeout
        )
        run = Run(guard, said)
        runs.append(run)
        return run

    yield make
    for run in runs:
        with contextlib.suppress(OpsreadyError):  # what it cannot revert, recover does below
            run.guard.close()
    recover(_sandbox(chaos_env), force=True)
    watchdogs_after(chaos_env.journals)  # each watchdog sees its fault settled in the journal and exits
    assert toxics(chaos_env, "edge") == [] and toxics(chaos_env, "db") == []


BROKEN = ("configuration-gone", "another-sandbox", "interpreter-cannot-start", "configuration-never-read")


@pytest.mark.parametrize("how", BROKEN)
def test_a_watchdog_that_cannot_arm_means_nothing_is_injected(
    chaos_env: Env, start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The watchdog really fails (exits, opens the wrong target, never arms): the proxy never gets the toxic, the
    journal says the fault was not applied, no watchdog is left, and the caller gets an EnvironmentProblem."""
    config, arm_timeout = chaos_env.config, 15.0
    with monkeypatch.context() as env:
        if how == "configuration-gone":
            config = tmp_path / "moved-away.yaml"
        elif how == "another-sandbox":  # the watchdog would watch a sandbox the fault is not on
            env.setenv("OPSREADY_STATE_DIR", str(tmp_path / "elsewhere"))
        elif how == "interpreter-cannot-start":
            env.setenv("PYTHONHOME", str(tmp_path / "no-python-here"))
        else:  # reading a FIFO nobody writes to blocks for ever
            config = tmp_path / "opsready.yaml"
            os.mkfifo(config)
            arm_timeout = 3.0
        run = start(config=config, arm_timeout=arm_timeout)
        began = time.monotonic()
        with pytest.raises(EnvironmentProblem, match="was not injected: its dead-man watchdog") as refused:
            run.guard.inject("edge-slow", latency(chaos_env, "edge"))
        took = time.monotonic() - began
    assert toxics(chaos_env, "edge") == [], "the fault reached the proxy"
    assert run.guard.active == () and run.guard.records == ()
    (fault,) = read_journal(run.journal).faults
    assert fault.status == "not_applied" and not fault.armed, fault
    assert "its dead-man watchdog" in fault.detail and not run.records("applied")
    assert not read_journal(run.journal).open_faults, "recover would have something to do"
    assert not watchdogs(chaos_env.journals), "the watchdog that failed to arm is still running"
    assert any("not injecting edge-slow" in line for line in run.said), run.said
    if how == "another-sandbox":
        assert "not the target this fault would be injected on" in str(refused.value), refused.value
    if how == "configuration-never-read":
        assert took >= arm_timeout and "was not armed within 3 s" in str(refused.value)
    else:
        assert took < arm_timeout and "before it was armed" in str(refused.value), refused.value
    run.guard.close()
    assert read_journal(run.journal).closed, "nothing was applied: the run ends clean"


def test_an_armed_watchdog_is_journaled_before_the_fault_is_applied(chaos_env: Env, start: Start) -> None:
    """The order on disk: intent, watchdog, armed (by the watchdog's own process), applied; then a clean close."""
    run = start()
    fault_id = run.guard.inject("edge-slow", latency(chaos_env, "edge"))
    assert toxics(chaos_env, "edge"), "the fault is not on the proxy"
    kinds = [r["record"] for r in map(json.loads, run.journal.read_text().splitlines()) if r.get("fault") == fault_id]
    assert kinds == ["intent", "watchdog", "armed", "applied"], kinds
    (armed,) = run.records("armed")
    (started,) = run.records("watchdog")
    assert armed["pid"] == started["pid"] != os.getpid()
    run.guard.close()
    assert toxics(chaos_env, "edge") == [] and read_journal(run.journal).closed


class UnreachableProxyFault:
    """A network fault (the sandbox's own) whose revert cannot reach the proxy's control file: an OSError."""

    def __init__(self, inner: Fault) -> None:
        self.inner = inner

    @property
    def spec(self) -> FaultSpec:
        """The inner fault's spec."""
        return self.inner.spec

    def describe(self) -> str:
        """The inner fault's description."""
        return self.inner.describe()

    def prepare(self) -> Facts:
        """The inner fault's facts."""
        return self.inner.prepare()

    def inject(self, deadline: float) -> None:
        """Inject the inner fault, for real."""
        self.inner.inject(deadline)

    def revert(self, timeout: float) -> None:
        """Fail as a revert does when the control file's disk is gone."""
        raise OSError(errno.EIO, "Input/output error", "db.json")

    def verify_reverted(self) -> Observation:
        """The inner fault's probe."""
        return self.inner.verify_reverted()


class DbProxyUnreachable:
    """The sandbox, except that reverts of faults on its db proxy fail with an OSError."""

    def __init__(self, inner: FaultInjectable) -> None:
        self.inner = inner

    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """The sandbox's kinds."""
        return self.inner.fault_kinds()

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """The sandbox's fault, made unreachable on the db proxy."""
        fault = self.inner.fault(spec, fault_id, facts)
        return UnreachableProxyFault(fault) if dict(spec.params).get("proxy") == "db" else fault

    def fault_journal_dir(self) -> Path:
        """The sandbox's journal directory."""
        return self.inner.fault_journal_dir()

    def fault_residue(self) -> tuple[Observation, ...]:
        """The sandbox's residue sweep."""
        return self.inner.fault_residue()


def test_a_revert_that_raises_oserror_does_not_stop_the_others(chaos_env: Env, start: Start) -> None:
    """Newest first: the db fault's revert raises OSError on every attempt; the edge fault is still reverted, the
    failure is journaled, one error names the failed fault, and the journal is not closed."""
    run = start(target=DbProxyUnreachable(_sandbox(chaos_env)))
    edge = run.guard.inject("edge-slow", latency(chaos_env, "edge"))
    db = run.guard.inject("db-slow", latency(chaos_env, "db"))
    with pytest.raises(RevertFailed) as failed:
        run.guard.revert_all()
    assert "1 fault(s) not reverted: db-slow" in str(failed.value) and "OSError" in str(failed.value)
    assert toxics(chaos_env, "edge") == [], "the older fault was not reverted after the newer one failed"
    assert toxics(chaos_env, "db"), "the failing revert cannot have removed the toxic"
    assert [r["fault"] for r in run.records("revert_failed")] == [db]
    assert [(r["fault"], r["by"]) for r in run.records("reverted")] == [(edge, "harness")]
    run.guard.close()
    view = read_journal(run.journal)
    assert not view.closed and [f.fault_id for f in view.open_faults] == [db]
    assert any("stays open for `opsready recover`" in line for line in run.said), run.said


def test_a_journal_that_cannot_be_written_stops_no_revert_and_keeps_the_run_open(chaos_env: Env, start: Start) -> None:
    """Every journal write fails with an OSError (its path is taken by a directory) while both faults are reverted:
    both are still reverted on the target, one error names both, and once the journal can be written again the
    run is not closed, so recover finds both faults and settles them."""
    run = start()
    edge = run.guard.inject("edge-slow", latency(chaos_env, "edge"))
    db = run.guard.inject("db-slow", latency(chaos_env, "db"))
    aside = run.journal.with_name(run.journal.name + ".aside")
    run.journal.rename(aside)
    run.journal.mkdir()
    try:
        with pytest.raises(RevertFailed) as failed:
            run.guard.revert_all()
    finally:
        run.journal.rmdir()
        aside.rename(run.journal)
    assert "2 fault(s) not reverted: db-slow" in str(failed.value) and "edge-slow" in str(failed.value)
    assert "reverted and verified" in str(failed.value) and "IsADirectoryError" in str(failed.value)
    assert toxics(chaos_env, "edge") == [] and toxics(chaos_env, "db") == []
    run.guard.close()
    view = read_journal(run.journal)
    assert not view.closed and {f.fault_id for f in view.open_faults} == {edge, db}
    report = recover(_sandbox(chaos_env), force=True)
    assert {r.fault_id for r in report.reverted} == {edge, db} and report.exit_code == 0


def test_a_fault_the_dead_man_reverted_is_reported_as_reverted_by_it(chaos_env: Env, start: Start) -> None:
    """At its time limit the watchdog reverts the fault; the guard's revert then says so and reverts nothing."""
    run = start()
    fault_id = run.guard.inject("edge-slow", latency(chaos_env, "edge", limit="4s"))
    deadline = time.monotonic() + 30.0
    while (entry := read_journal(run.journal).fault(fault_id)) is not None and entry.status != "reverted":
        assert time.monotonic() < deadline, "the dead-man did not revert the fault"
        time.sleep(0.1)
    assert toxics(chaos_env, "edge") == []
    (armed,) = run.records("armed")
    (applied,) = run.records("applied")
    (reverted,) = run.records("reverted")
    started = applied["deadline"] - 4.0
    assert armed["t"] <= started <= applied["t"], "the time limit did not count from the injection"
    assert reverted["t"] >= applied["deadline"] - 0.05, "the dead-man fired early"
    (record,) = run.guard.revert_all()
    assert (record.reverted_by, record.error) == ("dead-man", ""), record
    assert record.reverted_at.startswith(time.strftime("%Y-%m-%dT", time.gmtime())), record
    assert any(f"edge-slow was already reverted by the dead-man at {record.reverted_at}" in s for s in run.said)
    assert not any(line.startswith("reverted edge-slow (harness)") for line in run.said), run.said
    assert [r["by"] for r in run.records("reverting")] == ["dead-man"], "the harness reverted it again"
    run.guard.close()
    assert read_journal(run.journal).closed


@pytest.mark.parametrize("kind", ["memory-pressure-0-percent"])  # the ID puts it in the serial pass (tests/layout.py)
def test_a_harmless_fault_is_not_detected_and_the_experiment_fails(chaos_env: Env, tmp_path: Path, kind: str) -> None:
    """memory-pressure of 0 % is injected for real (a holder that holds nothing); available memory must fall 2
    points below its baseline within 3 s: it does not, so the run says "not detected" and exits 1, though
    chaostoolkit completed; the baseline was measured before the fault, and the fault was reverted and verified."""
    fault = {"name": "hog", "kind": "memory-pressure", "params": {"share": "0%"}, "time_limit": "60s"}
    detect = {
        "type": "probe",
        "name": "memory-pressure-detected",
        "provider": {
            "type": "python",
            "module": "opsready.chaos.probes",
            "func": "detect",
            "arguments": {"probe": "memory_available", "within": "3 seconds", "falls_by": "2 points"},
        },
    }
    path = experiment(tmp_path / f"{kind}.yaml", [fault], hold=0.0, then=[detect])
    result = opsready(chaos_env, "experiment", "run", str(path), "--reports", str(tmp_path / "reports"))
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    assert f"experiment {kind}: not detected in " in result.stdout, shown
    assert "memory_available falls by 2 points: not detected within 3 s" in result.stdout, shown
    assert "(baseline " in result.stdout and "detected when it falls by 2 points)" in result.stdout, shown
    assert "fault hog (memory-pressure): reverted by harness" in result.stdout, shown
    baseline, injecting = shown.find("baseline of memory_available"), shown.find("injecting hog: run a holder")
    assert 0 <= baseline < injecting, shown  # measured before the fault, and the fault held nothing
    (entry,) = read_journal(_newest(chaos_env.journals)).faults
    assert entry.spec is not None and entry.spec.kind == "memory-pressure" and entry.status == "reverted"


def _newest(directory: Path) -> Path:
    return max((p for p in directory.glob("*.jsonl") if p.name != "index.jsonl"), key=lambda p: p.stat().st_mtime)
