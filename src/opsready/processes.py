"""Processes and ports on this machine, read from /proc and the kernel: shared by the sandbox and the load runner.

Everything opsready starts runs in a session of its own, so "every process of it" is "every live process in that
session": stopping by session id touches nothing that someone else started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def session_members(sid: int) -> list[int]:
    """Pids of live processes in session ``sid``."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(entry))
    return members


def stop_session(sid: int, grace: float = 0.0, timeout: float = 5.0) -> list[int]:
    """Stop every process of session ``sid``: SIGTERM and up to ``grace`` seconds to exit (none: straight to
    SIGKILL), then SIGKILL until the session is empty or ``timeout`` more seconds passed. Returns the survivors."""
    if grace > 0:
        _signal_all(session_members(sid), signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and session_members(sid):
            time.sleep(0.05)
    deadline = time.monotonic() + timeout
    while members := session_members(sid):
        _signal_all(members, signal.SIGKILL)
        if time.monotonic() > deadline:
            return members
        time.sleep(0.02)
    return []


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on ``host`` right now (bind to 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
