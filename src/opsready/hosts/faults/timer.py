"""The on-host timer of a host fault: a detached sleeper on the host that ends the fault by itself.

A fault on a host must end even when nothing on the machine running opsready is left to end it (the harness and its
dead-man watchdog killed, the SSH link cut). So each injection that has no timer in the kernel (a stopped or paused
service, a CPU or memory hog) first starts, on the host, ``setsid sh -c '<effect>; sleep <seconds>; <expire>'``:

- the time is **relative** (``sleep`` of the seconds left, measured on the harness's clock just before the command),
  so the two machines' clocks never need to agree;
- ``setsid`` puts it in a session of its own, with its standard streams on /dev/null: neither the end of the SSH
  session (SIGHUP), nor the command's own time limit (``timeout`` signals its own process group), nor Ctrl-C reaches
  it;
- it writes its pid to ``/run/opsready-faults/<fault id>.timer`` (``/run`` is cleared at boot, as the faults are);
  its command line ends with ``opsready-fault-timer <fault id>``, and a revert signals the pid in that file only
  while the process there still has that command line, so a reused pid is never signalled;
- a revert cancels it (SIGKILL to its process group, which also ends any hog it started) and then undoes the fault
  itself, so whichever of the two comes first, the other finds nothing left to do.

Network faults need no sleeper: their nftables elements carry a kernel timeout (:mod:`.network`).
"""

from __future__ import annotations

import re
import shlex

from opsready.errors import TargetError

RUN_DIR = "/run/opsready-faults"
MARK = "opsready-fault-timer"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

# `same PID START`: true while PID is the process that started at START (clock ticks since boot, /proc/PID/stat's 22nd
# field): the guard before every signal to a process a fault recorded
SAME = "same() { [ \"$(sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -d' ' -f20)\" = \"$2\" ]; }"


def check_id(fault_id: str) -> str:
    """A fault id fit for file, cgroup and nftables names (the guard makes them so; anything else is refused)."""
    if not _ID.fullmatch(fault_id):
        raise TargetError(f"fault id {fault_id!r} cannot name things on a host (letters, digits, '_.-')")
    return fault_id


def pidfile(fault_id: str) -> str:
    """Where the timer of a fault keeps its pid on the host."""
    return f"{RUN_DIR}/{check_id(fault_id)}.timer"


def start(fault_id: str, seconds: float, expire: str, effect: str = "") -> str:
    """Shell: start the fault's timer, detached, and wait (at most 5 s) until it has written its pid file.

    ``effect`` runs first, inside the timer (the hogs: their processes are the timer's children); after ``seconds``
    the timer runs ``expire`` and removes its pid file."""
    body = (
        f"echo $$ > {pidfile(fault_id)}\n{effect}\nsleep {max(0.0, seconds):.3f}\n{expire}\nrm -f {pidfile(fault_id)}\n"
    )
    return (
        f"mkdir -p {RUN_DIR} && rm -f {pidfile(fault_id)} || exit 1\n"
        f"setsid sh -c {shlex.quote(body)} {MARK} {fault_id} </dev/null >/dev/null 2>&1 &\n"
        f"i=0; while [ ! -s {pidfile(fault_id)} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
        f"[ -s {pidfile(fault_id)} ] || {{ echo 'the fault timer did not start' >&2; exit 1; }}"
    )


def _ours(fault_id: str) -> str:
    """Shell: sets p to the timer's pid when the pid file names a live process that is this fault's timer."""
    return (
        f"p=$(cat {pidfile(fault_id)} 2>/dev/null); "
        f"case \"$(tr '\\0' ' ' < /proc/${{p:-0}}/cmdline 2>/dev/null)\" in "
        f"*' {MARK} {fault_id} ') ;; *) p= ;; esac"
    )


def cancel(fault_id: str) -> str:
    """Shell: end the fault's timer (and whatever it started) if it still runs, and remove its pid file."""
    return f'{_ours(fault_id)}; [ -n "$p" ] && kill -KILL -$p 2>/dev/null; rm -f {pidfile(fault_id)}; true'


def alive(fault_id: str) -> str:
    """Shell: prints ``timer <pid>`` while the fault's timer runs, nothing otherwise."""
    return f'{_ours(fault_id)}; [ -n "$p" ] && echo "timer $p"; true'


def sweep() -> str:
    """Shell: prints ``timer <fault id> <pid>`` for every fault timer still running on the host (the residue)."""
    return (
        f'for f in {RUN_DIR}/*.timer; do [ -e "$f" ] || continue; id=$(basename "$f" .timer); '
        f'p=$(cat "$f" 2>/dev/null); '
        f"case \"$(tr '\\0' ' ' < /proc/${{p:-0}}/cmdline 2>/dev/null)\" in "
        f'*" {MARK} $id ") echo "timer $id $p" ;; esac; done; true'
    )
