"""The sandbox reference system: bring it up, take it down, say how it is."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from opsready.errors import EnvironmentProblem, TargetError
from opsready.processes import OwnedSession, port_listened
from opsready.sandbox import database, installed, monitoring, pgroot
from opsready.sandbox.layout import HOST, Layout, Ports, check_ports_free, choose_ports
from opsready.sandbox.supervisor import (
    Program,
    Supervisor,
    owned_session,
    read_pid,
    render_conf,
    sweep,
)

Progress = Callable[[str], None]
PROGRAMS = ("postgres", "db_proxy", "api", "worker", "edge")


@dataclass(frozen=True)
class SandboxOptions:
    """How a sandbox is set up (from the sandbox target in opsready.yaml)."""

    state_dir: Path = Path(".opsready")
    ports: str = "fixed"
    database: str = "auto"
    api_workers: int = 2
    initial_release: str = "1.0.0"
    monitoring: monitoring.MonitoringMode = "off"  # opt-in here; a configured sandbox target defaults to auto
    alert_rules: Path | None = None  # the suite's rule files (runbooks/alerts), loaded by the sandbox's Prometheus


@dataclass(frozen=True)
class ProgramStatus:
    """One supervised program as supervisord sees it."""

    name: str
    state: str
    pid: int | None
    description: str


@dataclass(frozen=True)
class SandboxStatus:
    """What ``opsready sandbox status`` shows."""

    up: bool
    state_dir: Path
    engine: str | None
    database_location: str | None
    ports: Ports | None
    release: str | None
    programs: tuple[ProgramStatus, ...]
    supervisor_pid: int | None
    monitoring: monitoring.MonitoringState | None = None


def _quiet(_: str) -> None:
    return None


class Sandbox:
    """One sandbox, identified by its state directory."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.layout = Layout(options.state_dir.resolve())

    # -- state -------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise commands that change the sandbox (up, down, deploy) across processes."""
        self.layout.state.mkdir(parents=True, exist_ok=True)
        with (self.layout.state / "lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def engine(self) -> str | None:
        """The database engine this sandbox was created with."""
        try:
            return self.layout.database_file.read_text().strip() or None
        except OSError:
            return None

    def is_up(self) -> bool:
        """Whether supervisord of this sandbox is running."""
        return read_pid(self.layout) is not None

    def ports(self) -> Ports:
        """The ports of a running sandbox."""
        ports = self.layout.load_ports()
        if ports is None or not self.is_up():
            raise EnvironmentProblem(
                f"the sandbox in {self.layout.state} is not running", hint="start it with: opsready sandbox up"
            )
        return ports

    @property
    def base_url(self) -> str:
        """The edge URL (users' entry point)."""
        return f"http://{HOST}:{self.ports().edge}"

    def supervisor(self) -> Supervisor:
        """Control of this sandbox's supervisord; a clear error when it is not running."""
        self.ports()
        return Supervisor(self.layout)

    def db_url(self) -> str:
        """The URL the service uses to reach its database."""
        engine = self.engine() or "sqlite"
        return database.app_url(self.layout, self.ports(), engine)

    # -- programs ----------------------------------------------------------------------------------------------
    def _programs(self, ports: Ports, engine: str) -> list[Program]:
        py = sys.executable
        env = (
            ("OPSREADY_DB_URL", database.app_url(self.layout, ports, engine)),
            ("PROMETHEUS_MULTIPROC_DIR", str(self.layout.metrics)),
            ("OPSREADY_STATE_DIR", str(self.layout.state)),
            ("PYTHONUNBUFFERED", "1"),
        )
        # the worker serves its own /metrics: outside the api's multiprocess directory, which would merge them
        worker_env = tuple(pair for pair in env if pair[0] != "PROMETHEUS_MULTIPROC_DIR")
        proxy = f"{py} -m opsready.sandbox.proxy"
        programs = [
            Program(
                "api",
                f"{py} -m gunicorn --chdir {self.layout.current} --bind {HOST}:{ports.api} "
                f"--workers {self.options.api_workers} --graceful-timeout 10 --timeout 30 "
                "--config python:opsready.sandbox.service.gunicorn_conf wsgi:app",
                priority=30,
                environment=env,
                directory=str(self.layout.state),
            ),
            Program(
                "worker",
                f"{py} -m opsready.sandbox.service.worker --metrics-port {ports.worker_metrics}",
                priority=40,
                environment=worker_env,
            ),
            Program(
                "edge",
                f"{proxy} --name edge --listen {HOST}:{ports.edge} --upstream {HOST}:{ports.api} "
                f"--state-file {self.layout.proxies / 'edge.json'} --sandbox-state {self.layout.state} "
                f"--metrics-port {ports.edge_metrics}",
                priority=50,
            ),
        ]
        if engine == "postgresql":
            programs[:0] = [
                database.postgres_program(self.layout, ports),
                Program(
                    "db_proxy",
                    f"{proxy} --name db --listen {HOST}:{ports.db_proxy} --upstream {HOST}:{ports.postgres} "
                    f"--state-file {self.layout.proxies / 'db.json'} --sandbox-state {self.layout.state} "
                    f"--metrics-port {ports.db_proxy_metrics}",
                    priority=20,
                ),
            ]
        return programs

    # -- up / down ---------------------------------------------------------------------------------------------
    def up(self, progress: Progress = _quiet) -> SandboxStatus:
        """Start everything (harmless when already up: only what is not running is started)."""
        with self.locked():
            layout = self.layout
            running = self.is_up()
            session = None if running else self._recorded_session(progress)
            if session is not None and session.members():
                progress(f"cleaning up {len(session.members())} process(es) left by a crashed sandbox")
                sweep(session)
            self._remove_orphans(progress)
            engine = database.choose_engine(self.options.database, self.engine())
            recorded = layout.load_ports()
            if running:
                watch = monitoring.load_state(layout) or monitoring.MonitoringState(False, "not recorded")
                prom = alerts = None
            else:
                watch, prom, alerts = monitoring.decide(self.options.monitoring, self.options.alert_rules)
            if running and recorded is not None:
                ports = recorded
            else:
                ports = choose_ports(self.options.ports, recorded if layout.ports_complete() else None)
                check_ports_free(ports, skip=_unused_ports(watch))
            for directory in (layout.logs, layout.releases, layout.metrics, layout.proxies):
                directory.mkdir(parents=True, exist_ok=True)
            layout.save_ports(ports)
            layout.database_file.write_text(engine + "\n")
            programs = self._programs(ports, engine)
            if prom is not None and alerts is not None:
                watch, watching = monitoring.programs(
                    layout,
                    ports,
                    engine=engine,
                    state=watch,
                    prometheus=prom,
                    alertmanager=alerts,
                    pg_passfile=database.passfile(layout),
                )
                programs += watching
            if not running:
                monitoring.save_state(layout, watch)
                if engine == "postgresql":
                    progress("initialising PostgreSQL data directory")
                    pgroot.claim(layout)
                    database.init_postgres(layout)
                else:
                    database.prepare_sqlite(layout)
                layout.supervisor_conf.write_text(render_conf(layout, programs))
                _clear_metrics(layout.metrics)
                progress("starting supervisord")
                from opsready.sandbox import supervisor as sv

                sv.start(layout)
            sup = Supervisor(layout)
            # a running sandbox keeps the programs its configuration was written with (monitoring among them)
            names = [i["name"] for i in sup.all_info()] if running else [p.name for p in programs]
            if engine == "postgresql":
                progress("starting postgres, db_proxy")
                sup.start_many(["postgres", "db_proxy"])
                database.wait_postgres(layout, ports)
                _wait_listening("db_proxy", ports.db_proxy, 30.0)  # the migration goes through it
            if not layout.current.exists():
                progress(f"installing initial release {self.options.initial_release}")
                installed.install_first(layout, self.db_url(), self.options.initial_release)
            else:
                installed.migrate_current(layout, self.db_url())
            rest = [name for name in names if name not in ("postgres", "db_proxy")]
            progress(f"starting {', '.join(rest)}")
            sup.start_many(rest)  # the release is installed and migrated: they need nothing from each other
            progress("waiting for the service to be ready")
            self.wait_ready(30.0)
            return self.status()

    def wait_ready(self, timeout: float) -> None:
        """Wait until the edge answers /readyz with 200."""
        import httpx

        url = f"{self.base_url}/readyz"
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=2.0)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
        raise TargetError(f"the sandbox did not become ready within {timeout:.0f} s ({last}); see {self.layout.logs}")

    def _remove_orphans(self, progress: Progress) -> None:
        """Remove PostgreSQL data left outside by sandboxes whose state directory is gone (only marked ones)."""
        for root in pgroot.remove_orphans():
            progress(f"removed {root}: PostgreSQL data of a sandbox whose state directory no longer exists")

    def _recorded_session(self, progress: Progress) -> OwnedSession | None:
        """The session the session file names, saying so when processes with its id are not ours (left alone)."""
        session = owned_session(self.layout)
        recorded = self.layout.state / "session"
        if session is None and recorded.exists():
            progress(f"ignoring {recorded}: it names no session this sandbox started")
        if session is not None and (strangers := session.strangers()):
            progress(
                f"session {session.leader.pid} recorded in {recorded} is not this sandbox's "
                f"any more: leaving its process(es) {', '.join(map(str, strangers))} alone"
            )
        return session

    def down(self, purge: bool = False, progress: Progress = _quiet) -> list[int]:
        """Stop every process of the sandbox (even a crashed one); returns the pids that were stopped."""
        with self.locked():
            session = self._recorded_session(progress)
            members = session.members() if session is not None else []
            if self.is_up():
                progress("stopping programs through supervisord")
                with contextlib.suppress(TargetError, OSError):
                    Supervisor(self.layout).shutdown()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and session is not None and session.members():
                    time.sleep(0.05)
            if session is not None and session.members():
                progress("sweeping leftover processes")
                sweep(session)
            self._remove_orphans(progress)
            if purge:
                progress(f"removing {self.layout.state}")
                pg_root = self.layout.pg_root
                shutil.rmtree(self.layout.state, ignore_errors=True)
                if not pg_root.is_relative_to(self.layout.state):
                    shutil.rmtree(pg_root, ignore_errors=True)
            return members

    # -- status ------------------------------------------------------------------------------------------------
    def status(self) -> SandboxStatus:
        """The sandbox as it is now (read-only)."""
        layout = self.layout
        up = self.is_up()
        engine = self.engine()
        programs: tuple[ProgramStatus, ...] = ()
        if up:
            with contextlib.suppress(TargetError):
                programs = tuple(
                    ProgramStatus(i["name"], i["statename"], i["pid"] or None, i["description"])
                    for i in Supervisor(layout).all_info()
                )
        location = None
        if engine == "postgresql":
            location = str(layout.pg_data())
        elif engine == "sqlite":
            location = str(layout.sqlite_db)
        return SandboxStatus(
            monitoring=monitoring.load_state(layout),
            up=up,
            state_dir=layout.state,
            engine=engine,
            database_location=location,
            ports=layout.load_ports(),
            release=self.current_release(),
            programs=programs,
            supervisor_pid=read_pid(layout),
        )

    def current_release(self) -> str | None:
        """The release the ``current`` link points at."""
        return installed.current_release(self.layout)


def _wait_listening(name: str, port: int, timeout: float) -> None:
    """Wait until a program listens on its port (supervisord's RUNNING only says it stayed up for its startsecs)."""
    deadline = time.monotonic() + timeout
    while not port_listened(HOST, port):
        if time.monotonic() > deadline:
            raise TargetError(f"{name} does not listen on {HOST}:{port} after {timeout:g} s")
        time.sleep(0.02)


def _unused_ports(watch: monitoring.MonitoringState) -> tuple[str, ...]:
    """Ports nobody listens on at ``up``: the alert receiver (a drill's), and the monitoring's when it is off."""
    unused = ("alert_receiver",)
    return unused if watch.on else (*unused, "prometheus", "alertmanager", "postgres_exporter", "blackbox_exporter")


def _clear_metrics(directory: Path) -> None:
    """prometheus_client's multiprocess files belong to one supervisord run: start each run clean."""
    for path in directory.glob("*.db"):
        path.unlink(missing_ok=True)
