"""A process that holds one fault until its deadline: a database lock, exhausted connections, a CPU hog, memory.

``python -m opsready.sandbox.faults.holder KIND --state DIR --fault-id ID --deadline EPOCH [options]``

It prints ``ready <detail>`` once the fault is in effect and then holds it until SIGTERM, SIGINT or the deadline,
whichever comes first: a holder never outlives its fault's time limit, even if nobody is left to revert it. The
CPU and memory holders also carry kernel limits (RLIMIT_CPU, RLIMIT_AS) as a hard bound beyond their own clock.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

PAGE = 4096
_stop = threading.Event()


def _on_signal(_signum: int, _frame: object) -> None:
    # Event.set takes a lock the interrupted main thread may hold (inside Event.wait): set it from elsewhere
    threading.Thread(target=_stop.set, daemon=True).start()


def _hold(deadline: float) -> None:
    while not _stop.is_set() and time.time() < deadline:
        _stop.wait(min(0.2, max(0.0, deadline - time.time())))


def _ready(detail: str) -> None:
    sys.stdout.write(f"ready {detail}\n")
    sys.stdout.flush()


def hold_lock(url: str, table: str, mode: str, app_name: str, deadline: float) -> None:
    """Take a table lock in an open transaction and keep it (writers, or everyone, wait behind it)."""
    import psycopg

    with psycopg.connect(url, connect_timeout=3, application_name=app_name) as conn:
        conn.execute("SET lock_timeout = '5s'")
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")  # table and mode come from a fixed list of choices
        _ready(f"{mode.lower()} lock on {table}")
        _hold(deadline)
        conn.rollback()


def hold_connections(url: str, leave: int, app_name: str, deadline: float, limit: int = 1000) -> None:
    """Open connections until the server refuses more, give back ``leave`` of them, and keep the rest."""
    import psycopg

    held: list[Any] = []
    refused = ""
    try:
        while len(held) < limit and not _stop.is_set():
            try:
                held.append(psycopg.connect(url, connect_timeout=3, application_name=app_name, autocommit=True))
            except psycopg.Error as exc:
                refused = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                break
        for conn in held[len(held) - min(leave, len(held)) :]:
            conn.close()
        kept = held[: len(held) - min(leave, len(held))]
        _ready(f"{len(kept)} connections held (server refused the next: {refused or 'limit reached'})")
        _hold(deadline)
    finally:
        for conn in held:
            conn.close()


def hog_cpu(workers: int, deadline: float) -> None:
    """Keep ``workers`` processes busy on the CPU (children of this process, in its process group)."""
    limit = max(1, int(deadline - time.time()) + 5)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))  # the kernel ends a runaway hog (SIGXCPU, then SIGKILL)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            parent = os.getppid()
            while time.time() < deadline and os.getppid() == parent:
                for _ in range(200_000):
                    pass
            os._exit(0)
        children.append(pid)
    _ready(f"{workers} busy process(es)")
    _hold(deadline)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def hog_memory(megabytes: int, deadline: float) -> None:
    """Allocate and touch ``megabytes`` of memory and keep it resident."""
    import psutil

    size = megabytes * 1024 * 1024
    current = int(psutil.Process().memory_info().vms)  # the address space RLIMIT_AS counts
    bound = current + size + 256 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (bound, bound))  # never more than asked, whatever happens
    block = bytearray(size)
    for offset in range(0, size, PAGE):
        block[offset] = 1
    _ready(f"{megabytes} MB resident")
    _hold(deadline)
    del block


def build_parser() -> argparse.ArgumentParser:
    """The holder's command line."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sandbox.faults.holder", description=__doc__)
    parser.add_argument("kind", choices=("lock", "connections", "cpu", "memory"))
    parser.add_argument("--state", required=True, help="state directory of the sandbox (identifies its holders)")
    parser.add_argument("--fault-id", required=True)
    parser.add_argument("--deadline", required=True, type=float, help="epoch seconds at which to give up")
    parser.add_argument("--url", default="", help="database URL (lock, connections)")
    parser.add_argument("--table", default="orders", choices=("orders",))
    parser.add_argument("--mode", default="EXCLUSIVE", choices=("EXCLUSIVE", "ACCESS EXCLUSIVE"))
    parser.add_argument("--leave", type=int, default=0, help="connection slots to leave free")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--megabytes", type=int, default=64)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Hold the fault until SIGTERM, SIGINT or the deadline; exit 1 when it could not be put in place."""
    args = build_parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    app_name = f"opsready-fault-{args.fault_id}"[:63]
    try:
        if args.kind == "lock":
            hold_lock(args.url, args.table, args.mode, app_name, args.deadline)
        elif args.kind == "connections":
            hold_connections(args.url, args.leave, app_name, args.deadline)
        elif args.kind == "cpu":
            hog_cpu(args.workers, args.deadline)
        else:
            hog_memory(args.megabytes, args.deadline)
    except Exception as exc:  # reported on stderr (the fault's log) and by the missing ready line
        print(f"holder {args.kind} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
