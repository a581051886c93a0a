"""The kernel's accounting of the sandbox's host, read straight from /proc: a process's state letter, CPU time run and
waited for per process (schedstat, every thread), resident memory, and command lines.

Reading /proc directly is cheap enough to scan every process of the host twice within a diagnosis question.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def kernel_state(pid: int) -> str:
    """The state letter ps shows (R, S, D, T stopped, Z, ...), or '?' when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


@dataclass(frozen=True)
class SchedReading:
    """One process at one moment: its group, nanoseconds it ran and waited for a CPU (all threads), resident pages."""

    pgid: int
    run_ns: int
    wait_ns: int
    rss_pages: int


def sched_readings() -> dict[int, SchedReading]:
    """A reading of every live process of the host, by pid."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue
            run = wait = 0
            for task in os.listdir(f"/proc/{entry}/task"):
                with open(f"/proc/{entry}/task/{task}/schedstat", encoding="ascii") as fh:
                    ran, waited, _ = fh.read().split()
                run, wait = run + int(ran), wait + int(waited)
            with open(f"/proc/{entry}/statm", encoding="ascii") as fh:
                rss = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # it exited while we looked, or hides from us
        found[int(entry)] = SchedReading(int(fields[2]), run, wait, rss)
    return found


def cmdline(pid: int) -> str:
    """A process's command line, shortened to 160 characters ('?' when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()[:160] or "?"
    except OSError:
        return "?"
