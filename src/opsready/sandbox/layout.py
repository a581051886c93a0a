"""Where the sandbox keeps its state, and which loopback ports it uses."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from opsready.errors import EnvironmentProblem
from opsready.processes import free_port, port_listened

DEFAULT_STATE_DIR = Path(".opsready")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Ports:
    """The sandbox's loopback ports; the fixed defaults are documented in the README."""

    edge: int = 18080
    api: int = 18081
    postgres: int = 15432
    db_proxy: int = 15433
    # /metrics of the programs that serve nothing else over HTTP, and the monitoring (when it is on)
    worker_metrics: int = 18091
    edge_metrics: int = 18092
    db_proxy_metrics: int = 18093
    postgres_exporter: int = 19187
    blackbox_exporter: int = 19115  # probes the users' entry point from outside, as a user would
    prometheus: int = 19090
    alertmanager: int = 19093
    alert_receiver: int = 19094  # opsready's webhook receiver, Alertmanager's route (listening only during drills)

    def items(self) -> list[tuple[str, int]]:
        """(component, port) pairs."""
        return list(asdict(self).items())


def port_taken(port: int) -> bool:
    """Whether a process already listens on this loopback port (connections in TIME_WAIT left by an earlier run do
    not count: our servers bind with SO_REUSEADDR and start anyway)."""
    return port_listened(HOST, port)


def _traversable_by_others(path: Path) -> bool:
    for directory in (path, *path.parents):
        try:
            mode = directory.stat().st_mode
        except FileNotFoundError:
            continue
        if not mode & stat.S_IXOTH:
            return False
    return True


OUTSIDE_PG_PARENT = Path("/var/tmp")
OUTSIDE_PG_PREFIX = "opsready-pg-"


def outside_pg_root(state: Path) -> Path:
    """Where PostgreSQL's data of the (resolved) state directory ``state`` goes when the server user cannot reach it."""
    digest = hashlib.sha1(str(state).encode()).hexdigest()[:12]
    return OUTSIDE_PG_PARENT / f"{OUTSIDE_PG_PREFIX}{digest}"


@dataclass(frozen=True)
class Layout:
    """Every path of one sandbox, all under its state directory (PostgreSQL's data may live beside it when root)."""

    state: Path

    @property
    def ports_file(self) -> Path:
        """Where the chosen ports are recorded."""
        return self.state / "ports.json"

    @property
    def supervisor_conf(self) -> Path:
        """The generated supervisord configuration."""
        return self.state / "supervisord.conf"

    @property
    def supervisor_sock(self) -> Path:
        """supervisord's control socket."""
        return self.state / "sv.sock"

    @property
    def supervisor_pid(self) -> Path:
        """supervisord's pid file (its pid is also its session id: it runs in a session of its own)."""
        return self.state / "supervisord.pid"

    @property
    def logs(self) -> Path:
        """Logs of every supervised program."""
        return self.state / "logs"

    @property
    def releases(self) -> Path:
        """Installed releases."""
        return self.state / "releases"

    @property
    def current(self) -> Path:
        """The link gunicorn serves from."""
        return self.state / "current"

    @property
    def history_file(self) -> Path:
        """Release history (JSON lines)."""
        return self.state / "history.jsonl"

    @property
    def metrics(self) -> Path:
        """prometheus_client's multiprocess directory."""
        return self.state / "metrics"

    @property
    def proxies(self) -> Path:
        """Fault-state files of the edge and db proxies."""
        return self.state / "proxies"

    @property
    def sqlite_db(self) -> Path:
        """The database file when running on SQLite."""
        return self.state / "sqlite" / "orders.db"

    @property
    def database_file(self) -> Path:
        """Which database engine this sandbox was created with."""
        return self.state / "database"

    @property
    def pg_root(self) -> Path:
        """PostgreSQL's data and socket directories.

        As root the server runs as the ``postgres`` user, which must be able to reach its data directory: when the
        state directory sits below a directory others cannot enter (a home directory, pytest's tmp), the data goes
        to /var/tmp under a name derived from the state directory, and status shows where.
        """
        inside = self.state / "pg"
        if os.geteuid() != 0 or _traversable_by_others(self.state.resolve()):
            return inside
        return outside_pg_root(self.state.resolve())

    def pg_data(self) -> Path:
        """PostgreSQL's data directory."""
        return self.pg_root / "data"

    def pg_run(self) -> Path:
        """PostgreSQL's socket directory."""
        return self.pg_root / "run"

    def load_ports(self) -> Ports | None:
        """The ports recorded by an earlier ``up``, if any (a file from before a port was added lacks it: that port
        is the documented default until the next ``up`` records all of them)."""
        try:
            return Ports(**json.loads(self.ports_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def ports_complete(self) -> bool:
        """Whether the ports file records every port of :class:`Ports`."""
        try:
            recorded = json.loads(self.ports_file.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(recorded, dict) and all(name in recorded for name, _ in Ports().items())

    @property
    def monitoring(self) -> Path:
        """Prometheus's and Alertmanager's configuration and data."""
        return self.state / "monitoring"

    @property
    def monitoring_file(self) -> Path:
        """Whether the running sandbox has monitoring, and why not (JSON, written by ``up``)."""
        return self.state / "monitoring.json"

    def save_ports(self, ports: Ports) -> None:
        """Record the ports for later commands and for tests."""
        self.state.mkdir(parents=True, exist_ok=True)
        self.ports_file.write_text(json.dumps(asdict(ports), indent=2) + "\n")


def choose_ports(mode: str, recorded: Ports | None) -> Ports:
    """Fixed documented ports, or fresh free ones in ``auto`` mode (reusing recorded ones when still free; pass
    None for a record that lacks a port)."""
    if mode == "fixed":
        return Ports()
    if recorded is not None and not any(port_taken(p) for _, p in recorded.items()):
        return recorded
    chosen: set[int] = set()
    values = []
    for _ in Ports().items():
        port = free_port()
        while port in chosen:
            port = free_port()
        chosen.add(port)
        values.append(port)
    return Ports(*values)


def check_ports_free(ports: Ports, skip: tuple[str, ...] = ()) -> None:
    """Refuse to start on a port another process holds: never clash silently with someone else's server."""
    for name, port in ports.items():
        if name not in skip:
            refuse_taken(name, port)


def refuse_taken(name: str, port: int) -> None:
    """An :class:`EnvironmentProblem` naming the port and its component when another process listens on it."""
    if port_taken(port):
        raise EnvironmentProblem(
            f"port {port} ({name}) on {HOST} is already in use by another process",
            hint="stop that process, or set 'ports: auto' for the sandbox target in opsready.yaml",
        )
