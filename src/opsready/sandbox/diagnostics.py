"""Read-only diagnostics of the sandbox (:class:`~opsready.targets.diagnostics.DiagnosticOps`): database round trips
by either path, kernel states of supervised processes, unexpected exits from supervisord's log, load on the host by
process group, who holds connections to a component, PostgreSQL's activity, and log tails. Other opsready sandboxes on
the same host are left out of the load and the connections: a diagnosis of this one never blames them.

Nothing here changes the sandbox: HTTP is left to the probes, SQL is ``SELECT`` only, processes are only read.
"""

from __future__ import annotations

import contextlib
import os
import re
import statistics
import time
from pathlib import Path

import psutil

from opsready.errors import UsageError
from opsready.processes import cmdline, kernel_state, sched_readings
from opsready.sandbox import database
from opsready.sandbox.faults.owned import HOLDER_MODULE
from opsready.sandbox.layout import HOST, Layout
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.supervisor import recorded_session
from opsready.targets.diagnostics import (
    PATHS,
    ConnectionHolder,
    DbActivity,
    DbSession,
    ExitEvent,
    GroupLoad,
    HostLoad,
    ProcessState,
    RoundTrip,
)

APP_NAME = "opsready-diagnose"
PLATFORM_LOG = "supervisord"
_EXITED = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ \w+ (?:exited: (\S+) \((.*?); not expected\)|gave up: (\S+) (entered .*))$"
)
_FAILURES = (
    ("refused", ("connection refused",)),
    ("exhausted", ("too many clients", "remaining connection slots")),
    ("timeout", ("no connection within", "no answer within", "timeout expired", "timed out")),
    ("reset", ("closed the connection", "connection reset", "consuming input failed", "eof detected", "broken pipe")),
)


def classify(message: str) -> str:
    """What kind of database failure a driver message describes: one of refused, exhausted, timeout, reset, error."""
    lowered = message.lower()
    return next((kind for kind, needles in _FAILURES if any(n in lowered for n in needles)), "error")


def _command(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())[:160] or proc.name()
    except psutil.Error:
        return "?"


def _after(argv: list[str], flag: str) -> str | None:
    i = argv.index(flag) if flag in argv else -1
    return argv[i + 1] if 0 <= i < len(argv) - 1 else None


def other_sandbox_groups(state: Path) -> set[int]:
    """Process groups of every *other* opsready sandbox on this host: its supervisord's session (supervisord runs
    with ``-c <state>/supervisord.conf`` and its state directory records its pid as the session) and its fault
    holders (``--state <state>``). Sandboxes sharing a host (tests run two at once) never blame each other."""
    own = str(state)
    sessions: set[int] = set()
    holders: set[int] = set()
    members: list[tuple[int, int]] = []  # (session, group) of every process
    for proc in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(OSError, psutil.Error):
            argv: list[str] = proc.info["cmdline"] or []
            pid = int(proc.info["pid"])
            members.append((os.getsid(pid), os.getpgid(pid)))
            home = Path(_after(argv, "-c") or "/").parent if "supervisor.supervisord" in argv else None
            if home is not None and str(home) != own and recorded_session(Layout(home)) == pid:
                sessions.add(pid)  # that sandbox's own record (identity checked) names this supervisord
            if HOLDER_MODULE in argv and _after(argv, "--state") not in (None, own):
                holders.add(os.getpgid(pid))
    return holders | {group for session, group in members if session in sessions}


class SandboxDiagnostics:
    """Diagnostics of one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def direct_url(self) -> str:
        """The api's own port, bypassing the edge proxy."""
        return f"http://{HOST}:{self.sandbox.ports().api}"

    def _url(self, path: str) -> str:
        if path not in PATHS:
            raise UsageError(f"unknown database path '{path}' (have: {', '.join(PATHS)})")
        if path == "direct" and self.sandbox.engine() == "postgresql":
            return database.admin_url(self.sandbox.layout, self.sandbox.ports(), database.PG_DB)
        return self.sandbox.db_url()  # through the db proxy (or the SQLite file, which has no network between)

    def database_round_trip(self, path: str, timeout: float, payload_bytes: int = 0, queries: int = 1) -> RoundTrip:
        """A fresh connection and ``queries`` SELECTs on it; a failure is classified from the driver's message."""
        from opsready.sandbox.service.db import DatabaseError, connect

        url = self._url(path)
        sql = f"SELECT repeat('x', {int(payload_bytes)})" if payload_bytes > 0 else "SELECT 1"
        started = time.monotonic()
        try:
            db = connect(url, timeout=timeout, app_name=APP_NAME)
        except DatabaseError as exc:
            spent = time.monotonic() - started
            return RoundTrip(path, False, spent, 0.0, classify(exc.message), exc.message[:200])
        connected = time.monotonic()
        times = []
        try:
            for _ in range(max(1, queries)):
                begun = time.monotonic()
                db.query(sql, timeout=timeout)  # each query its own timeout: a delayed link slows every one
                times.append(time.monotonic() - begun)
        except DatabaseError as exc:
            spent = time.monotonic() - connected
            return RoundTrip(path, False, connected - started, spent, classify(exc.message), exc.message[:200])
        finally:
            db.close()
        return RoundTrip(path, True, connected - started, statistics.median(times), "", f"{sql} answered")

    def _programs(self) -> list[tuple[str, int]]:
        return [(p.name, p.pid) for p in self.sandbox.status().programs if p.pid]

    def process_states(self) -> tuple[ProcessState, ...]:
        """Every process of every supervised program (its group leader and descendants)."""
        found = []
        for name, pid in self._programs():
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            found += [ProcessState(name, p.pid, kernel_state(p.pid), _command(p)) for p in procs]
        return tuple(found)

    def recent_exits(self, window_s: float) -> tuple[ExitEvent, ...]:
        """Unexpected exits and give-ups from supervisord's log within the window (its times are local time)."""
        since = time.time() - window_s
        events = []
        lines = self.log_tail(PLATFORM_LOG, 256 * 1024).splitlines()
        starts = [i for i, line in enumerate(lines) if " supervisord started with pid " in line]
        for line in lines[starts[-1] if starts else 0 :]:  # exits before this supervisord started are history
            match = _EXITED.match(line.strip())
            if match is None:
                continue
            at = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
            if at + 1 >= since:  # the log keeps whole seconds
                name, how = (match.group(2), match.group(3)) if match.group(2) else (match.group(4), match.group(5))
                events.append(ExitEvent(name, at, how))
        return tuple(events)

    def _session(self) -> int | None:
        return recorded_session(self.sandbox.layout)

    def _own(self, pid: int, session: int | None) -> bool:
        with contextlib.suppress(OSError):
            return session is not None and os.getsid(pid) == session
        return False

    def host_load(self, window_s: float) -> HostLoad:
        """CPU run and wait time per process group between two readings ``window_s`` apart (the kernel's schedstat,
        every thread counted), and resident memory at the end; other sandboxes' groups are left out."""
        session = self._session()
        others = other_sandbox_groups(self.sandbox.layout.state)
        first = sched_readings()
        started = time.monotonic()
        time.sleep(window_s)
        second = sched_readings()
        spent = max(time.monotonic() - started, 1e-6)
        groups: dict[int, list[int]] = {}
        for pid, reading in second.items():
            if reading.pgid not in others:
                groups.setdefault(reading.pgid, []).append(pid)
        loads = []
        for pgid, pids in groups.items():
            ran = waited = 0
            for pid in pids:
                before = first.get(pid)
                ran += second[pid].run_ns - (before.run_ns if before else 0)
                waited += second[pid].wait_ns - (before.wait_ns if before else 0)
            leader = pgid if pgid in second else pids[0]
            loads.append(
                GroupLoad(
                    pgid=pgid,
                    processes=len(pids),
                    cpu_cores=max(0, ran) / 1e9 / spent,
                    cpu_demand=max(0, ran + waited) / 1e9 / spent,
                    rss_bytes=sum(second[p].rss_bytes for p in pids),
                    command=cmdline(leader),
                    own=self._own(leader, session),
                )
            )
        loads.sort(key=lambda g: (g.cpu_demand, g.rss_bytes), reverse=True)
        return HostLoad(spent, os.cpu_count() or 1, psutil.virtual_memory().total, tuple(loads))

    def _port(self, component: str) -> int:
        ports = self.sandbox.ports()
        table = {"edge": ports.edge, "api": ports.api, "postgres": ports.postgres, "db_proxy": ports.db_proxy}
        if component not in table:
            raise UsageError(f"no listening component '{component}' (have: {', '.join(table)})")
        return table[component]

    def connection_holders(self, component: str) -> tuple[ConnectionHolder, ...]:
        """Established connections to the component's port, counted per process group of the client (other
        sandboxes' groups left out)."""
        port = self._port(component)
        session = self._session()
        others = other_sandbox_groups(self.sandbox.layout.state)
        counts: dict[int, int] = {}
        leaders: dict[int, int] = {}
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status != psutil.CONN_ESTABLISHED or not conn.raddr or conn.raddr.port != port or not conn.pid:
                continue
            with contextlib.suppress(OSError):
                pgid = os.getpgid(conn.pid)
                if pgid in others:
                    continue
                counts[pgid] = counts.get(pgid, 0) + 1
                leaders.setdefault(pgid, conn.pid)
        holders = []
        for pgid, count in counts.items():
            leader = pgid if psutil.pid_exists(pgid) else leaders[pgid]
            with contextlib.suppress(psutil.Error):
                holders.append(
                    ConnectionHolder(pgid, count, _command(psutil.Process(leader)), self._own(leader, session))
                )
        return tuple(sorted(holders, key=lambda h: h.connections, reverse=True))

    def database_activity(self, timeout: float) -> DbActivity:
        """pg_stat_activity of the orders database, read on a direct connection."""
        if self.sandbox.engine() != "postgresql":
            return DbActivity(True, 0, (), "SQLite: one file, no sessions to show")
        import psycopg

        url = database.admin_url(self.sandbox.layout, self.sandbox.ports(), database.PG_DB)
        try:
            with psycopg.connect(url, connect_timeout=max(2, round(timeout)), application_name=APP_NAME) as conn:
                conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
                limit = int(conn.execute("SHOW max_connections").fetchone()[0])  # type: ignore[index]
                rows = conn.execute(
                    "SELECT pid, coalesce(application_name, ''), coalesce(state, ''), "
                    "coalesce(wait_event_type || ':' || wait_event, ''), pg_blocking_pids(pid), "
                    "extract(epoch FROM now() - xact_start), left(coalesce(query, ''), 200) "
                    "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() ORDER BY pid",
                    (database.PG_DB,),
                ).fetchall()
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return DbActivity(False, 0, (), f"{classify(message)}: {message}")
        sessions = tuple(
            DbSession(int(r[0]), r[1], r[2], r[3], tuple(int(p) for p in r[4]), _float(r[5]), r[6]) for r in rows
        )
        return DbActivity(True, limit, sessions, f"{len(sessions)} session(s) of {limit} allowed")

    def _logs(self) -> dict[str, Path]:
        logs = self.sandbox.layout.logs
        found = {PLATFORM_LOG: logs / "supervisord.log"}
        found.update({p.stem: p for p in sorted(logs.glob("*.log")) if p.stem != PLATFORM_LOG})
        return found

    def log_names(self) -> tuple[str, ...]:
        """supervisord's log and each program's."""
        return tuple(self._logs())

    def log_tail(self, name: str, max_bytes: int) -> str:
        """The end of one log, from the first whole line."""
        path = self._logs().get(name)
        if path is None:
            raise UsageError(f"no log '{name}' (have: {', '.join(self._logs())})")
        try:
            with path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - max_bytes))
                data = fh.read()
        except OSError:
            return ""
        text = data.decode(errors="replace")
        return text.split("\n", 1)[1] if size > max_bytes and "\n" in text else text


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))  # PostgreSQL's numeric arrives as Decimal
