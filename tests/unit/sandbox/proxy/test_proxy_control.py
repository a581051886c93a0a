"""The harness side: state and status files, and apply() when the proxy does not cooperate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsready.errors import TargetError
from opsready.sandbox.proxy.control import (
    LatencyToxic,
    ProxyState,
    ProxyStatus,
    ResetToxic,
    apply,
    read_state,
    read_status,
    status_path,
    write_state,
)


def test_status_file_sits_beside_the_state_file() -> None:
    """``<state minus .json>.status.json``."""
    assert status_path(Path("/s/proxies/edge.json")) == Path("/s/proxies/edge.status.json")


def test_write_state_is_atomic_and_read_back_exactly(tmp_path: Path) -> None:
    """The state file is replaced whole (no temporary files left behind) and reads back equal."""
    path = tmp_path / "proxies" / "db.json"
    assert read_state(path) == ProxyState()  # missing file: pass-through
    state = ProxyState(generation=4, toxics=(LatencyToxic(200, 50, "both"), ResetToxic(0.5)))
    write_state(path, state)
    write_state(path, state)
    assert read_state(path) == state
    assert json.loads(path.read_text())["generation"] == 4
    assert sorted(p.name for p in path.parent.iterdir()) == ["db.json"]


def test_status_round_trips_and_a_missing_status_is_a_target_error(tmp_path: Path) -> None:
    """read_status parses what the proxy writes; no status file means the proxy is not there."""
    path = tmp_path / "edge.status.json"
    with pytest.raises(TargetError, match="not found"):
        read_status(path)
    status = ProxyStatus(generation=2, pid=123, listening=True, toxics=(ResetToxic(),), connections=3, bytes_up=9)
    path.write_text(json.dumps(status.to_dict()))
    assert read_status(path) == status


def test_apply_to_a_dead_pid_fails_fast(tmp_path: Path) -> None:
    """A proxy that is not running is a TargetError at once, not after the timeout."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    start = time.monotonic()
    with pytest.raises(TargetError, match="not running"):
        apply(tmp_path / "edge.json", proc.pid, [ResetToxic()], timeout=5.0)
    assert time.monotonic() - start < 1.0


def test_apply_times_out_when_the_proxy_never_confirms(tmp_path: Path) -> None:
    """A process that reports a status but ignores SIGHUP makes apply raise TargetError after its timeout."""
    code = "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); print('ok', flush=True); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ok"
        state_file = tmp_path / "edge.json"
        status = ProxyStatus(generation=7, pid=proc.pid, listening=True)
        status_path(state_file).write_text(json.dumps(status.to_dict()))
        start = time.monotonic()
        with pytest.raises(TargetError, match=r"did not apply generation 8 within 0\.3s"):
            apply(state_file, proc.pid, [ResetToxic()], timeout=0.3)
        assert 0.3 <= time.monotonic() - start < 1.5
        assert read_state(state_file) == ProxyState(generation=8, toxics=(ResetToxic(),))
    finally:
        proc.kill()
        proc.wait()
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)
