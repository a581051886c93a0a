"""Holder processes of the sandbox's faults: started in a session of their own, found again and stopped.

Holders are found by their command line (module, state directory and fault id), never by name alone, and each is
signalled only while it is still the process found (pid, start time and command line, :mod:`opsready.processes`), so
a revert only ever signals processes this sandbox's faults started, even when several sandboxes share the machine.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from opsready.errors import TargetError
from opsready.processes import ProcessIdentity, ProcInfo, all_processes

HOLDER_MODULE = "opsready.sandbox.faults.holder"
_children: dict[int, subprocess.Popen[bytes]] = {}  # holders this process started, reaped when stopped


def holder_argv(kind: str, state: Path, fault_id: str, deadline: float, *extra: str) -> list[str]:
    """The command line of a holder process (see :mod:`.holder`)."""
    return [
        sys.executable,
        "-m",
        HOLDER_MODULE,
        kind,
        "--state",
        str(state),
        "--fault-id",
        fault_id,
        "--deadline",
        f"{deadline:.3f}",
        *extra,
    ]


def _after(argv: tuple[str, ...], flag: str) -> str | None:
    if flag not in argv:
        return None
    i = argv.index(flag)
    return argv[i + 1] if i + 1 < len(argv) else None


def holders(state: Path, fault_id: str | None = None) -> list[ProcInfo]:
    """Live holder processes of this sandbox (of one fault when ``fault_id`` is given), children included."""
    found = []
    for info in all_processes():
        if HOLDER_MODULE not in info.argv or _after(info.argv, "--state") != str(state):
            continue
        if fault_id is None or _after(info.argv, "--fault-id") == fault_id:
            found.append(info)
    return found


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    data = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").split("\n", 1)[0].strip()


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def spawn_holder(argv: list[str], log: Path, ready_timeout: float) -> tuple[int, str]:
    """Start a holder in a session of its own and wait for its ``ready`` line; returns (pid, what it reported)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, start_new_session=True
        )
    line = _read_line(proc, ready_timeout)
    assert proc.stdout is not None
    proc.stdout.close()  # a holder writes nothing after its ready line
    _children[proc.pid] = proc
    if line.startswith("ready"):
        return proc.pid, line.removeprefix("ready").strip()
    signal_group(proc.pid, signal.SIGKILL)
    _reap(proc.pid, 5.0)
    raise TargetError(f"the fault holder did not get ready within {ready_timeout:g} s: {line or _tail(log)}")


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a process group; a group that is gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _reap(pid: int, timeout: float) -> None:
    proc = _children.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)


def _found(state: Path, fault_id: str) -> list[tuple[ProcInfo, ProcessIdentity]]:
    """Holders of one fault with the identity each had when found: only that process is ever signalled."""
    found = []
    for info in holders(state, fault_id):
        identity = ProcessIdentity.of(info.pid)
        if identity is not None and identity.cmdline == info.argv:
            found.append((info, identity))
    return found


def stop_holders(state: Path, fault_id: str, timeout: float) -> list[int]:
    """Stop every holder process of one fault: SIGTERM to its group, SIGKILL what is left; returns the pids seen."""
    found = _found(state, fault_id)
    leaders = {info.pid for info, _ in found if info.pgrp == info.pid}
    for info, identity in found:
        if info.pid in leaders:
            identity.signal_group(signal.SIGTERM)
        elif info.pgrp not in leaders:
            identity.signal(signal.SIGTERM)
    deadline = time.monotonic() + max(0.2, timeout / 2)
    while time.monotonic() < deadline and holders(state, fault_id):
        time.sleep(0.02)
    for _, identity in _found(state, fault_id):
        identity.signal(signal.SIGKILL)
    for info, _ in found:
        _reap(info.pid, 1.0)
    return [info.pid for info, _ in found]
