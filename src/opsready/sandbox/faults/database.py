"""Database faults held by a holder process: a lock that blocks order writes, and exhausted connections.

Both connect straight to PostgreSQL (not through the db proxy) under the application name
``opsready-fault-<fault id>``, so the revert can also end their server sessions, and the verification can see from
``pg_stat_activity`` that none is left, even when the holder itself was killed.
"""

from __future__ import annotations

import time

from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.sandbox import database
from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.faults.owned import holder_argv, holders, spawn_holder, stop_holders
from opsready.targets.faults import Facts

READY_TIMEOUT = 20.0


def app_name(fault_id: str) -> str:
    """The application name a fault's database sessions carry (PostgreSQL keeps 63 characters)."""
    return f"opsready-fault-{fault_id}"[:63]


def fault_sessions(fault: SandboxFault, pattern: str, terminate: bool = False) -> int:
    """How many server sessions have an application name LIKE ``pattern`` (ended first when ``terminate``)."""
    import psycopg

    url = database.admin_url(fault.sandbox.layout, fault.sandbox.ports(), database.PG_DB)
    with psycopg.connect(url, connect_timeout=2, autocommit=True, application_name="opsready-fault-check") as conn:
        if terminate:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s", (pattern,)
            )
            time.sleep(0.05)  # terminated backends leave pg_stat_activity a moment later
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s AND pid <> pg_backend_pid()",
            (pattern,),
        ).fetchone()
    return int(row[0]) if row else 0


class HeldDatabaseFault(SandboxFault):
    """A database fault kept in place by a holder process."""

    holder_kind = ""

    def holder_args(self) -> tuple[str, ...]:
        """Extra holder arguments."""
        return ()

    def prepare(self) -> Facts:
        """PostgreSQL must run (SQLite sandboxes do not offer these kinds)."""
        if self.sandbox.engine() != "postgresql":
            raise TargetError(f"'{self.spec.kind}' needs PostgreSQL; the {self.where} runs on SQLite")
        self.running_pid("postgres")
        return ()

    def inject(self, deadline: float) -> None:
        """Start the holder and wait until it holds the fault."""
        url = database.admin_url(self.sandbox.layout, self.sandbox.ports(), database.PG_DB)
        argv = holder_argv(
            self.holder_kind, self.sandbox.layout.state, self.fault_id, deadline, "--url", url, *self.holder_args()
        )
        spawn_holder(argv, self.sandbox.layout.logs / "faults" / f"{self.fault_id}.log", READY_TIMEOUT)

    def revert(self, timeout: float) -> None:
        """Stop the holder, then end any server session it left behind."""
        stop_holders(self.sandbox.layout.state, self.fault_id, timeout)
        if self.up() and self.program("postgres")["statename"] == "RUNNING":
            fault_sessions(self, app_name(self.fault_id), terminate=True)

    def verify_reverted(self) -> Observation:
        """No holder process and no server session of this fault."""
        left = holders(self.sandbox.layout.state, self.fault_id)
        if left:
            return Observation(self.probe, False, float(len(left)), " holders", f"holder pids {[p.pid for p in left]}")
        if not self.up() or self.program("postgres")["statename"] != "RUNNING":
            return Observation(self.probe, True, None, "", "no holder process; PostgreSQL is not running")
        import psycopg

        try:
            sessions = fault_sessions(self, app_name(self.fault_id))
        except psycopg.Error as exc:
            return Observation(self.probe, False, None, "", f"cannot check sessions: {type(exc).__name__}")
        detail = f"{sessions} session(s) of {app_name(self.fault_id)} remain" if sessions else "no holder, no session"
        return Observation(self.probe, sessions == 0, float(sessions), " sessions", detail)

    @property
    def probe(self) -> str:
        """The name of the verification observation."""
        return f"{self.spec.kind} released"


class LockOrders(HeldDatabaseFault):
    """Hold a lock on the orders table in an open transaction: order writes (or all access) wait behind it."""

    holder_kind = "lock"

    @property
    def mode(self) -> str:
        """The PostgreSQL lock mode."""
        return "ACCESS EXCLUSIVE" if self.spec.text("mode") == "access-exclusive" else "EXCLUSIVE"

    def holder_args(self) -> tuple[str, ...]:
        """Table and lock mode."""
        return ("--table", "orders", "--mode", self.mode)

    def describe(self) -> str:
        """What would happen."""
        blocks = "every access" if self.mode == "ACCESS EXCLUSIVE" else "order writes (reads still work)"
        return (
            f"hold an {self.mode} lock on table orders of the {self.where}: {blocks} wait; "
            "the revert ends the holder and its session"
        )


class ExhaustConnections(HeldDatabaseFault):
    """Open connections until PostgreSQL refuses more and keep them: new connections fail."""

    holder_kind = "connections"

    def holder_args(self) -> tuple[str, ...]:
        """Slots to leave free."""
        return ("--leave", str(int(self.spec.number("leave"))))

    def describe(self) -> str:
        """What would happen."""
        leave = int(self.spec.number("leave"))
        return (
            f"open connections to PostgreSQL of the {self.where} until it refuses more, leave {leave} free, "
            "and hold them; the revert closes them"
        )
