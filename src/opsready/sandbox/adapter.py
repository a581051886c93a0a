"""The sandbox as a :class:`~opsready.targets.protocol.Target`."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from opsready.config import Config, TargetConfig, TargetKind
from opsready.config.monitoring import Component, Matcher
from opsready.errors import ConfigError
from opsready.monitoring.client import MonitoringEndpoints
from opsready.observation import Observation
from opsready.sandbox import rollout
from opsready.sandbox.database import ENGINES
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.monitoring import MODES, MonitoringMode
from opsready.targets.capacity import ResourceSnapshot
from opsready.targets.diagnostics import DiagnosticOps, RemedyOps
from opsready.targets.faults import Facts, Fault, FaultKind, FaultSpec
from opsready.targets.maintenance import MaintenanceOps
from opsready.targets.protocol import (
    HostExpectations,
    Instance,
    Release,
    ReleaseRecord,
    Say,
    Target,
    TargetDescription,
    quiet,
)


def parse_options(config: Config, target: TargetConfig) -> SandboxOptions:
    """Typed sandbox options; $OPSREADY_STATE_DIR and $OPSREADY_PORTS override the file (tests use them)."""
    r = target.reader()
    if target.monitoring is not None:
        raise ConfigError(
            "the sandbox runs its own Prometheus and Alertmanager: 'monitoring' takes auto, on or off here "
            "(a mapping of URLs is for hosts and kubernetes targets)",
            target.monitoring.loc,
        )
    d = SandboxOptions()
    state = Path(r.string("state_dir", str(d.state_dir)))
    ports = r.choice("ports", ("fixed", "auto"), d.ports)
    bare = r.raw("monitoring", None)  # YAML reads a bare on/off as a boolean
    watch: MonitoringMode = (
        ("on" if bare else "off") if isinstance(bare, bool) else r.choice("monitoring", MODES, "auto")
    )
    options = SandboxOptions(
        state_dir=config.resolve(state),
        ports=ports,
        database=r.choice("database", ENGINES, d.database),
        api_workers=r.integer("api_workers", d.api_workers, minimum=1),
        initial_release=r.string("initial_release", d.initial_release),
        monitoring=watch,
        alert_rules=config.resolve(Path(r.string("alert_rules", "runbooks/alerts"))),
    )
    r.done()
    env_state, env_ports = os.environ.get("OPSREADY_STATE_DIR"), os.environ.get("OPSREADY_PORTS")
    if env_state:
        options = replace(options, state_dir=Path(env_state).resolve())
    if env_ports in ("fixed", "auto"):
        options = replace(options, ports=env_ports)
    return options


# the sandbox's scrape jobs per component (see sandbox.monitoring.prometheus_config)
SILENCED_JOBS: dict[Component, str] = {
    "api": "api",
    "worker": "worker",
    "edge": "edge",
    "database": "postgres|db_proxy",
}


class SandboxTarget:
    """Drive the bundled sandbox through the Target protocol."""

    platform = "sandbox"

    def __init__(self, name: str, sandbox: Sandbox, kind: TargetKind = "disposable") -> None:
        self.name = name
        self.sandbox = sandbox
        self.kind: TargetKind = kind

    @property
    def base_url(self) -> str:
        """The edge proxy's URL."""
        return self.sandbox.base_url

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """Whether its supervisord runs (reads the pid file; creates nothing)."""
        return self.sandbox.is_up()

    def start(self, say: Say = quiet) -> None:
        """Start every program and wait until the edge answers /readyz (harmless when already up)."""
        self.sandbox.up(say)

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        """Stop every process of the sandbox, even a crashed one (``purge``: delete its state directory too)."""
        self.sandbox.down(purge=purge, progress=say)

    def close(self) -> None:
        """Nothing to release: every call opens and closes what it uses."""
        return None

    def describe(self) -> TargetDescription:
        """Platform, URL, release, database engine and (when up) ports."""
        status = self.sandbox.status()
        details = [
            ("state_dir", str(status.state_dir)),
            ("database", status.engine or "unknown"),
            ("release", status.release or "none"),
        ]
        if status.up and status.ports is not None:
            details.append(("ports", ", ".join(f"{name} {port}" for name, port in status.ports.items())))
        if status.up:
            details.append(("monitoring", status.monitoring.describe() if status.monitoring else "off: not recorded"))
        return TargetDescription(
            name=self.name,
            platform=self.platform,
            base_url=self.base_url if status.up else "",
            details=tuple(details),
        )

    def monitoring(self) -> MonitoringEndpoints | None:
        """Where the sandbox's Prometheus and Alertmanager answer, while it runs them."""
        state = self.sandbox.status().monitoring
        if not self.sandbox.is_up() or state is None or not state.on:
            return None
        ports = self.sandbox.ports()
        return MonitoringEndpoints(state.prometheus, state.alertmanager, ports.alert_receiver)

    def monitoring_off_reason(self) -> str:
        """Why the sandbox has no monitoring now ('' when it has)."""
        if not self.sandbox.is_up():
            return "the sandbox is not running"
        state = self.sandbox.status().monitoring
        if state is None:
            return "not recorded by the sandbox's start"
        return "" if state.on else state.reason

    def silence_refusal(self) -> str:
        """'': the sandbox's Alertmanager is opsready's own, so maintenance may silence it."""
        return ""

    def silence_matchers(self, component: Component) -> tuple[Matcher, ...]:
        """The sandbox's alerts of a component, by the scrape job that carries them."""
        return (Matcher("job", SILENCED_JOBS[component], is_regex=True),)

    def releases(self) -> tuple[Release, ...]:
        """Every shipped release."""
        return rollout.shipped()

    def current_release(self) -> str:
        """The release ``current`` points at."""
        return self.sandbox.current_release() or ""

    def history(self) -> tuple[ReleaseRecord, ...]:
        """Release history, oldest first."""
        return rollout.history(self.sandbox)

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        """Install, migrate, switch, reload gracefully."""
        return rollout.switch(self.sandbox, version, kind, note)

    def rollback(self, note: str = "") -> ReleaseRecord:
        """Back to the release that ran before."""
        return rollout.rollback(self.sandbox, note)

    def instances(self) -> tuple[Instance, ...]:
        """Supervised programs and their state."""
        return tuple(Instance(p.name, p.state, p.pid, p.description) for p in self.sandbox.status().programs)

    def check_database(self, timeout: float = 2.0) -> tuple[bool, str]:
        """Connect through the service's own database path and run SELECT 1."""
        from opsready.sandbox.service.db import ping

        url = self.sandbox.db_url()
        try:
            ping(url, timeout)
        except Exception as exc:  # any driver error means "not reachable"; the message is the evidence
            return False, f"{type(exc).__name__}: {str(exc).strip()[:200]}"
        return True, "SELECT 1 answered"

    def testinfra_hosts(self) -> tuple[str, ...]:
        """The sandbox runs on this machine."""
        return ("local://",)

    def resource_usage(self) -> ResourceSnapshot:
        """CPU, memory and connections of every supervised program (:mod:`opsready.targets.capacity`)."""
        from opsready.sandbox import capacity

        return capacity.resource_usage(self.sandbox)

    def capacity_units(self) -> int:
        """gunicorn workers serving now."""
        from opsready.sandbox import capacity

        return capacity.capacity_units(self.sandbox)

    def scale(self, units: int, timeout: float = 30.0) -> int:
        """Run exactly ``units`` gunicorn workers (TTIN/TTOU to the master)."""
        from opsready.sandbox import capacity

        return capacity.scale(self.sandbox, units, timeout)

    def latency_fault(
        self, link: str, latency_ms: int, direction: str = "upstream", time_limit: float = 600.0
    ) -> FaultSpec:
        """The network-latency fault of the users' (edge) or database link's fault proxy."""
        from opsready.sandbox import capacity

        return capacity.latency_fault(self.sandbox, link, latency_ms, direction, time_limit)

    def host_expectations(self) -> HostExpectations:
        """Supervised programs, loopback sockets, the ``current`` link and PostgreSQL's private data directory."""
        from opsready.sandbox.hostfacts import expectations

        return expectations(self.sandbox)

    def maintenance_ops(self) -> MaintenanceOps:
        """Backups, verified restores, housekeeping, logs, disk and TLS (:mod:`opsready.targets.maintenance`)."""
        from opsready.sandbox.maintenance import SandboxMaintenance

        return SandboxMaintenance(self.sandbox)

    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """Process, database, network, resource and release faults (:mod:`opsready.targets.faults`)."""
        from opsready.sandbox.faults.catalog import sandbox_kinds

        return sandbox_kinds(self.sandbox)

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """A handle on one fault of the sandbox (:mod:`opsready.sandbox.faults`)."""
        from opsready.sandbox.faults.catalog import open_fault

        return open_fault(self.sandbox, spec, fault_id, facts)

    def fault_journal_dir(self) -> Path:
        """Fault journals live in the sandbox's state directory."""
        return self.sandbox.layout.state / "faults"

    def fault_residue(self) -> tuple[Observation, ...]:
        """Programs, stopped processes, proxies, holder processes, fault sessions, training release."""
        from opsready.sandbox.faults.residue import residue

        return residue(self.sandbox)

    def components(self) -> tuple[str, ...]:
        """Supervised programs that can be restarted (:mod:`opsready.targets.remediation`)."""
        from opsready.sandbox import remediation

        return remediation.components(self.sandbox)

    def links(self) -> tuple[str, ...]:
        """Proxy links that can be reset: edge, and db with PostgreSQL."""
        from opsready.sandbox import remediation

        return remediation.links(self.sandbox)

    def restart_component(self, name: str, timeout: float = 60.0) -> str:
        """Start or restart a supervised program (a frozen one is continued first)."""
        from opsready.sandbox import remediation

        return remediation.restart_component(self.sandbox, name, timeout)

    def reset_link(self, name: str, timeout: float = 10.0) -> str:
        """Remove every toxic from a proxy link."""
        from opsready.sandbox import remediation

        return remediation.reset_link(self.sandbox, name, timeout)

    def diagnostics(self) -> DiagnosticOps:
        """Read-only diagnostics for the troubleshooting tree (:mod:`opsready.targets.diagnostics`)."""
        from opsready.sandbox.diagnostics import SandboxDiagnostics

        return SandboxDiagnostics(self.sandbox)

    def remedies(self) -> RemedyOps:
        """End blocking database sessions, stop a foreign process group (:mod:`opsready.targets.diagnostics`)."""
        from opsready.sandbox.guide_remedies import SandboxRemedies

        return SandboxRemedies(self.sandbox)


def open_target(config: Config, target: TargetConfig) -> SandboxTarget:
    """Adapter entry point (see :mod:`opsready.targets.registry`)."""
    return SandboxTarget(target.name, Sandbox(parse_options(config, target)), target.kind)


def _implements(target: SandboxTarget) -> Target:
    """Never called: mypy checks here that the adapter implements the Target protocol."""
    return target
