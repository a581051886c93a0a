"""A proxy's toxics do not outlive their fault: on a proxy restart and on ``sandbox up``, the toxics of the state file
are reconciled with the fault journals, against a real sandbox and a harness killed with SIGKILL.

- A fault the journal says is reverted (a person did it, the proxy's state file still has the toxic): a restarted
  proxy does not apply it, and the journal says the reconcile reverted it.
- A fault past its deadline whose watchdog died too: ``sandbox down`` then ``sandbox up`` reverts it (journaled as
  reverted by the reconcile).
- An open fault still in time: ``sandbox up`` and ``sandbox status`` report it, and a restarted proxy keeps it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from opsready.chaos.readback import read_journal
from opsready.sandbox.proxy import control
from tests.integration.chaos.chaos_harness import Env, Harness, experiment, opsready, watchdogs

pytestmark = [pytest.mark.sandbox, pytest.mark.chaos]


def _edge_latency(time_limit: str) -> dict[str, Any]:
    return {"kind": "network-latency", "name": "slow-edge", "params": {"proxy": "edge", "latency": "150ms"},
            "time_limit": time_limit}  # fmt: skip


def _killed(env: Env, tmp_path: Path, time_limit: str) -> Path:
    """Inject an edge latency through the guard in ``opsready experiment run``, SIGKILL it once applied."""
    harness = Harness(env, experiment(tmp_path / "slow-edge.yaml", [_edge_latency(time_limit)], hold=120))
    assert harness.wait_for("applied"), harness.finish()
    harness.proc.send_signal(signal.SIGKILL)
    harness.finish()
    journal = harness.journal()
    assert journal is not None
    assert _wanted(env) != (), "the toxic should still be in the edge proxy's state file"
    return journal


def _wanted(env: Env) -> tuple[control.Toxic, ...]:
    return control.read_state(env.sandbox.layout.proxies / "edge.json").toxics


def _applied(env: Env) -> control.ProxyStatus:
    return control.read_status(control.status_path(env.sandbox.layout.proxies / "edge.json"))


def _settled_edge(env: Env, timeout: float = 30.0) -> control.ProxyStatus:
    """The edge proxy's status once it runs and applies exactly its state file (the reconcile is over)."""
    deadline = time.monotonic() + timeout
    pid = int(env.sandbox.supervisor().info("edge")["pid"])
    while True:
        status = _applied(env)
        state = control.read_state(env.sandbox.layout.proxies / "edge.json")
        if status.pid == pid and status.generation == state.generation and status.toxics == state.toxics:
            return status
        assert time.monotonic() < deadline, f"edge never applied its state: {status} vs {state}"
        time.sleep(0.05)


def _kill_watchdogs(env: Env) -> None:
    for pid in watchdogs(env.journals):  # only the watchdogs of this sandbox's journals
        os.kill(pid, signal.SIGKILL)


def _restart_edge(env: Env) -> None:
    sup = env.sandbox.supervisor()
    sup.stop("edge")
    sup.start("edge")


def _cleanup(env: Env) -> None:
    done = opsready(env, "recover", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    again = subprocess.run(  # a toxic whose fault the journal calls reverted is not recover's: the reconcile's
        [sys.executable, "-m", "opsready.chaos.reconcile", "--journals", str(env.journals), "--recheck-settled"],
        env=env.env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert _wanted(env) == ()


def test_a_restarted_proxy_does_not_bring_back_a_fault_the_journal_says_is_reverted(
    chaos_env: Env, tmp_path: Path
) -> None:
    """Marked reverted in the journal, the toxic left in the state file: the restarted edge has no toxic."""
    journal = _killed(chaos_env, tmp_path, "120s")
    (fault,) = read_journal(journal).open_faults
    record = {"record": "reverted", "fault": fault.fault_id, "by": "a person", "t": time.time(), "detail": "by hand"}
    with journal.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    try:
        _restart_edge(chaos_env)
        status = _settled_edge(chaos_env)
        assert status.toxics == () and _wanted(chaos_env) == ()
        by: list[Any] = []
        deadline = time.monotonic() + 10  # the reconcile journals its revert as it finishes, as the edge settles
        while by != ["a person", "reconcile"] and time.monotonic() < deadline:
            time.sleep(0.1)
            by = [r.get("by") for r in map(json.loads, journal.read_text().splitlines()) if r["record"] == "reverted"]
        assert by == ["a person", "reconcile"], by
        assert _settled_edge(chaos_env).toxics == ()
    finally:
        _cleanup(chaos_env)


def test_down_then_up_reverts_a_fault_past_its_deadline(chaos_env: Env, tmp_path: Path) -> None:
    """Harness and watchdog killed, time limit passed: after down and up the toxic is gone, reverted by reconcile."""
    journal = _killed(chaos_env, tmp_path, "3s")
    _kill_watchdogs(chaos_env)
    time.sleep(3.5)
    try:
        down = opsready(chaos_env, "sandbox", "down")
        assert down.returncode == 0, down.stdout + down.stderr
        up = opsready(chaos_env, "sandbox", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        status = _settled_edge(chaos_env)
        assert status.toxics == () and _wanted(chaos_env) == ()
        (fault,) = read_journal(journal).faults
        assert (fault.status, fault.reverted_by) == ("reverted", "reconcile")
        assert "open fault" not in up.stdout, up.stdout
    finally:
        _cleanup(chaos_env)


def test_an_open_fault_in_time_is_reported_by_up_and_kept_by_a_restart(chaos_env: Env, tmp_path: Path) -> None:
    """Harness killed, watchdog alive, within the time limit: `up` and `status` name it; a restart keeps it."""
    journal = _killed(chaos_env, tmp_path, "120s")
    try:
        up = opsready(chaos_env, "sandbox", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "open fault" in up.stdout and "slow-edge" in up.stdout and journal.name in up.stdout, up.stdout
        status = opsready(chaos_env, "sandbox", "status", "--json")
        assert [f["name"] for f in json.loads(status.stdout)["open_faults"]] == ["slow-edge"], status.stdout
        _restart_edge(chaos_env)
        log = (chaos_env.sandbox.layout.logs / "edge.log").read_text(errors="replace")[-3000:]
        assert [t.kind for t in _settled_edge(chaos_env).toxics] == ["latency"], log + journal.read_text()
        assert read_journal(journal).open_faults, "an open fault in time is the run's (or its watchdog's) to end"
    finally:
        _cleanup(chaos_env)
