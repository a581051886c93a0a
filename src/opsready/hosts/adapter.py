"""A fleet of machines reached over SSH as a :class:`~opsready.targets.protocol.Target` (``platform: hosts``).

Everything goes over SSH (:mod:`opsready.hosts.connection`): one connection per host, opened on first use and closed
by :meth:`HostsTarget.close`. A host that is not in the target's configuration is refused before any connection.
A deploy checks every app host first (same current release, the release installed), then switches them one at a
time and checks each instance directly over HTTP; a step that fails switches back the hosts already switched,
newest first, and says which host and step failed. With ``balancer.kind: haproxy`` deploys and rollbacks roll
through the balancer instead (:mod:`opsready.hosts.rolling`: drain, switch, check, put back, soak).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from opsready.config import Config, TargetConfig, TargetKind
from opsready.errors import DeployError, HostError, RollbackError, TargetError, UsageError, ValidationError
from opsready.hosts.connection import HostConnection, connect
from opsready.hosts.faults import catalog as host_faults
from opsready.hosts.faults.residue import residue as fault_residue
from opsready.hosts.instances import InstanceState, probe, wait_serving
from opsready.hosts.lock import LEASE, FleetLock, HeldForFaults, LockState
from opsready.hosts.lock import clear as clear_lock_on
from opsready.hosts.lock import read as read_lock
from opsready.hosts.maintenance import HostsMaintenanceOps
from opsready.hosts.options import HostEntry, HostsOptions, LinkReleases, Role, check_release_name, parse_options
from opsready.hosts.releases import HostReleases
from opsready.hosts.remediation import HostsRemediation
from opsready.hosts.rolling import RollingDeploy
from opsready.monitoring.silences import ConfiguredMonitoring
from opsready.observation import Observation
from opsready.targets.diagnostics import DiagnosticOps, SupportsDiagnostics
from opsready.targets.faults import Facts, Fault, FaultInjectable, FaultKind, FaultSpec
from opsready.targets.maintenance import MaintenanceOps, SupportsMaintenance
from opsready.targets.protocol import (
    HostExpectations,
    Instance,
    Release,
    ReleaseRecord,
    Say,
    Target,
    TargetDescription,
    TargetHost,
    quiet,
)
from opsready.targets.remediation import Remediable
from opsready.targets.rolling import BatchJudge, RollingTarget, RolloutKind, RolloutReport
from opsready.timeline import Timeline


class HostsTarget(ConfiguredMonitoring):
    """Drive a service on machines reached over SSH, behind a load balancer."""

    platform = "hosts"

    def __init__(
        self, name: str, options: HostsOptions, kind: TargetKind = "real", state_dir: Path | None = None
    ) -> None:
        self.name = name
        self.options = options
        self.kind: TargetKind = kind
        self.state_dir = state_dir or Path(".opsready") / "hosts" / name
        self._connections: dict[str, HostConnection] = {}
        self.lock_lease = LEASE  # seconds the fleet lock outlives its holder's last renewal (see hosts/lock.py)
        self._faults_lock = HeldForFaults(self._new_lock)  # the lock this process holds for its faults

    @property
    def base_url(self) -> str:
        """The URL users reach the service at: the balancer's."""
        return self.options.balancer_url

    # -- hosts and connections ------------------------------------------------------------------------------------
    def entry(self, name: str) -> HostEntry:
        """The configured host called ``name``; any other name is refused (before any connection)."""
        for entry in self.options.hosts:
            if entry.name == name:
                return entry
        listed = ", ".join(h.name for h in self.options.hosts)
        raise UsageError(f"host '{name}' is not one of target '{self.name}''s hosts ({listed}); refused")

    def connection(self, name: str) -> HostConnection:
        """The open SSH connection to a configured host (opened and proven on first use)."""
        entry = self.entry(name)
        if name not in self._connections:
            self._connections[name] = connect(entry.spec, self.options.ssh)
        return self._connections[name]

    def _releases(self, entry: HostEntry) -> HostReleases:
        return HostReleases(self.connection(entry.name), self.options.strategy, self.options.sudo)

    def _app(self) -> tuple[HostEntry, ...]:
        return self.options.role("app")

    def hosts(self) -> tuple[TargetHost, ...]:
        """Every host with its testinfra Host and its role's expectations (for ``host_state.feature``)."""
        return tuple(
            TargetHost(e.name, e.role, str(e.spec), self.connection(e.name).host, self._expectations(e.role))
            for e in self.options.hosts
        )

    # -- lifecycle --------------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """Whether every app instance answers its health check (read-only, over HTTP)."""
        return all(probe(self.options, e).healthy for e in self._app())

    def start(self, say: Say = quiet) -> None:
        """Refused: opsready does not start someone's fleet."""
        raise UsageError(f"target '{self.name}' is a fleet of real hosts: opsready does not start it")

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        """Refused: opsready does not stop someone's fleet."""
        raise UsageError(f"target '{self.name}' is a fleet of real hosts: opsready does not stop it")

    def close(self) -> None:
        """Release a fleet lock still held for faults, then close every SSH connection (ends the master
        connections)."""
        self._faults_lock.release()
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def describe(self) -> TargetDescription:
        """Hosts by role, service, release strategy and releases; never a key or a path to one."""
        details = [
            (f"{role} hosts", ", ".join(h.name for h in self.options.role(role))) for role in ("app", "database")
        ]
        strategy = "current link" if isinstance(self.options.strategy, LinkReleases) else "commands"
        details += [
            ("service", f"{self.options.service} (supervisor)"),
            ("releases", f"{', '.join(self.options.releases)} ({strategy})"),
        ]
        return TargetDescription(self.name, self.platform, self.base_url, tuple(d for d in details if d[1]))

    # -- releases ---------------------------------------------------------------------------------------------------
    def releases(self) -> tuple[Release, ...]:
        """The releases the configuration names."""
        return tuple(Release(v) for v in self.options.releases)

    def release_presence(self, version: str) -> tuple[tuple[str, bool], ...]:
        """Each app host, and whether ``version`` is installed there (read-only; the candidate gate's check)."""
        return tuple((e.name, version in self._releases(e).installed()) for e in self._app())

    def currents(self) -> dict[str, str]:
        """The release each app host is switched to."""
        return {e.name: self._releases(e).current() for e in self._app()}

    def current_release(self, kind: str = "", error: type[TargetError] = DeployError) -> str:
        """The release every app host runs; app hosts on different releases (their ``current`` links differ) is one
        ``error`` naming each host and its release, raised before ``kind`` changes anything."""
        currents = self.currents()
        if len(set(currents.values())) > 1:
            found = ", ".join(f"{host} -> {v}" for host, v in currents.items())
            refused = f"{kind} refused: " if kind else ""
            raise error(
                f"{refused}the app hosts are on different releases ({found})"
                + ("; nothing was changed" if kind else ""),
                hint="switch them to one release by hand (or finish the deploy that was interrupted), then retry",
            )
        return next(iter(currents.values()))

    # -- the fleet lock ---------------------------------------------------------------------------------------------
    def fleet_lock(self, operation: str, say: Say = quiet) -> AbstractContextManager[FleetLock]:
        """The lock on every app host (the role every target has), for a mutating ``operation`` (use it as
        ``with``): a second run, from this machine or another, is refused (UsageError, exit 2) while it is held; see
        :mod:`hosts.lock`. The database hosts are left out, so one that is down does not block a rollback. While this
        process holds the lock for its faults (:meth:`hold_lock`), its own operations go on under that one."""
        held = self._faults_lock.lock
        return nullcontext(held) if held is not None else self._new_lock(operation, say)

    def _new_lock(self, operation: str, say: Say = quiet) -> FleetLock:
        return FleetLock(
            lambda: [self.connection(e.name) for e in self._app()], self.name, operation, self.lock_lease, say
        )

    def hold_lock(self, holder: str) -> None:
        """Hold the fleet lock for this process until every holder has dropped it (a fault, from inject to revert)."""
        self._faults_lock.hold(holder)

    def drop_lock(self, holder: str) -> None:
        """``holder`` no longer needs the lock; the last one releases it."""
        self._faults_lock.drop(holder)

    def lock_state(self) -> tuple[LockState, ...]:
        """The fleet lock on each app host, read without taking it (free, held, or stale)."""
        return tuple(read_lock(self.connection(e.name)) for e in self._app())

    def clear_lock(self) -> None:
        """Remove the fleet lock from every app host, whoever holds it: for a run known to be dead."""
        for e in self._app():
            clear_lock_on(self.connection(e.name))

    def history(self) -> tuple[ReleaseRecord, ...]:
        """Release history, oldest first: the longest of the app hosts' histories."""
        return max((self._releases(e).history() for e in self._app()), key=len)

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        """Switch every app host to ``version``, one at a time, each checked directly; undone on failure."""
        try:
            check_release_name(version, self.options.releases)
        except ValidationError as exc:
            raise UsageError(exc.message) from None
        if self.rolls:
            report, record = self._roll("deploy", version, note, Timeline(f"deploy {version}"), quiet)
            if record is None:
                raise DeployError(report.describe())
            return record
        with self.fleet_lock(f"{kind} {version}"):
            return self._switch(version, kind, note, self._app(), DeployError)

    def rollback(self, note: str = "") -> ReleaseRecord:
        """Back to the release before the current one, newest (last switched) host first."""
        if self.rolls:
            record = self._roll("rollback", "", note, Timeline("rollback"), quiet)[1]
            assert record is not None  # a rollback has no triggers: it succeeds or raises
            return record
        with self.fleet_lock("rollback"):
            return self._switch(self._previous(), "rollback", note, tuple(reversed(self._app())), RollbackError)

    def _previous(self) -> str:
        history = self.history()
        current = self.current_release("rollback", RollbackError)
        if not history or history[-1].version != current or history[-1].previous is None:
            raise RollbackError(f"no earlier release to go back to from {current} in the hosts' release history")
        return history[-1].previous

    # -- rolling through the balancer ---------------------------------------------------------------------------------
    @property
    def rolls(self) -> bool:
        """Whether deploys roll through the balancer (``balancer.kind`` is configured)."""
        return self.options.haproxy is not None

    def roll_out(
        self, version: str, timeline: Timeline, say: Say = quiet, judges: Sequence[BatchJudge] = ()
    ) -> RolloutReport:
        """Deploy batch by batch through the balancer; a trigger (or a judge, during a batch's soak) rolls back every
        switched host, newest first."""
        try:
            check_release_name(version, self.options.releases)
        except ValidationError as exc:
            raise UsageError(exc.message) from None
        return self._roll("deploy", version, "", timeline, say, judges)[0]

    def roll_back(self, reason: str, timeline: Timeline, say: Say = quiet) -> RolloutReport:
        """Back to the previous release batch by batch through the balancer, the last deployed host first."""
        return self._roll("rollback", "", reason, timeline, say)[0]

    def _roll(  # noqa: PLR0917  # called with all of them from two places
        self,
        kind: RolloutKind,
        version: str,
        note: str,
        timeline: Timeline,
        say: Say,
        judges: Sequence[BatchJudge] = (),
    ) -> tuple[RolloutReport, ReleaseRecord | None]:
        if not self.rolls:
            raise UsageError(f"target '{self.name}' has no balancer to roll through (balancer.kind)")
        error: type[TargetError] = DeployError if kind == "deploy" else RollbackError
        order = self._app() if kind == "deploy" else tuple(reversed(self._app()))
        with self.fleet_lock(f"{kind} {version}".strip(), say):
            version = version or self._previous()
            previous = self._prepare(version, order, error)
            rollout = RollingDeploy(self.options, self._releases, timeline, say, judges)
            report = rollout.run(kind, version, previous, order)
            if report.result != "succeeded":
                return report, None
            return report, self._record(ReleaseRecord(version, previous, kind, _now(), note), order)

    def _record(self, record: ReleaseRecord, order: tuple[HostEntry, ...]) -> ReleaseRecord:
        for entry in order:
            self._releases(entry).record(record)
        return record

    def _prepare(self, version: str, order: tuple[HostEntry, ...], error: type[TargetError]) -> str:
        """The release every app host runs, once each has ``version`` installed; nothing changes before."""
        # refuses hosts on different releases before anything changes
        previous = self.current_release(f"{'deploy' if error is DeployError else 'rollback'} to {version}", error)
        missing = [e.name for e in order if version not in self._releases(e).installed()]
        if missing:
            raise error(f"release {version} is not installed on {', '.join(missing)}; nothing was changed")
        return previous

    def _switch(
        self, version: str, kind: str, note: str, order: tuple[HostEntry, ...], error: type[TargetError]
    ) -> ReleaseRecord:
        previous = self._prepare(version, order, error)
        done: list[HostEntry] = []
        try:
            for entry in order:
                done.append(entry)
                self._releases(entry).switch(version, rollback=kind == "rollback")
                wait_serving(self.options, entry, version)
        except HostError as exc:
            restored = self._undo(done, previous)
            raise error(f"{kind} to {version} stopped: {exc.message}; {restored}", hint=exc.hint) from None
        return self._record(ReleaseRecord(version, previous, kind, _now(), note), order)

    def _undo(self, switched: list[HostEntry], previous: str) -> str:
        """Switch ``switched`` back to ``previous``, newest first; what happened, as a sentence."""
        failed = []
        for entry in reversed(switched):
            try:
                self._releases(entry).switch(previous, rollback=True)
                wait_serving(self.options, entry, previous)
            except HostError as exc:
                failed.append(exc.message)
        hosts = ", ".join(e.name for e in reversed(switched))
        if failed:
            return f"switching back to {previous} also failed: {'; '.join(failed)}"
        return f"{hosts} switched back to {previous}"

    # -- instances and hosts ----------------------------------------------------------------------------------------
    def instance_states(self) -> tuple[InstanceState, ...]:
        """Health, readiness and version of each app instance, asked directly."""
        return tuple(probe(self.options, e) for e in self._app())

    def instances(self) -> tuple[Instance, ...]:
        """One instance per app host: RUNNING when healthy and ready, with its version."""
        return tuple(
            Instance(s.host, "RUNNING" if s.serving else "DOWN", None, s.detail or f"version {s.version}")
            for s in self.instance_states()
        )

    def check_database(self, timeout: float = 2.0) -> tuple[bool, str]:
        """Whether each database host answers over SSH and listens on its expected sockets (read-only)."""
        entries = self.options.role("database")
        if not entries:
            return False, "this target has no database role"
        sockets = self.options.expectations["database"].sockets
        for e in entries:
            try:
                host = self.connection(e.name).host
                closed = [s for s in sockets if not host.socket(s).is_listening]
            except HostError as exc:
                return False, exc.message
            if closed:
                return False, f"host {e.name}: not listening on {', '.join(closed)}"
        listening = f", listening on {', '.join(sockets)}" if sockets else ""
        return True, f"{', '.join(e.name for e in entries)}: reachable over SSH{listening}"

    def testinfra_hosts(self) -> tuple[str, ...]:
        """Every host's spec (use :meth:`hosts` for testinfra Hosts over the target's checked connections)."""
        return tuple(str(e.spec) for e in self.options.hosts)

    def host_expectations(self) -> HostExpectations:
        """What an app host should look like."""
        return self._expectations("app")

    def _expectations(self, role: Role) -> HostExpectations:
        o, extra = self.options, self.options.expectations.get(role)
        services, sockets, dirs = (extra.services, extra.sockets, extra.private_dirs) if extra else ((), (), ())
        if role != "app":
            return HostExpectations(services, None, sockets, None, dirs)
        # the release the link must point at comes from the history, never from the links themselves
        history = self.history() if isinstance(o.strategy, LinkReleases) else ()
        link = (
            (o.strategy.current, history[-1].version if history else "")
            if isinstance(o.strategy, LinkReleases)
            else None
        )
        return HostExpectations(
            (o.service, *services),
            (o.supervisorctl, o.supervisor_config or "/etc/supervisor/supervisord.conf"),
            sockets or (f"tcp://0.0.0.0:{o.port}",),
            link,
            dirs,
        )

    def diagnostics(self) -> DiagnosticOps:
        """Read-only diagnostics for ``opsready diagnose``: instances and host resources (:mod:`.diagnostics`)."""
        from opsready.hosts.diagnostics import HostsDiagnostics

        return HostsDiagnostics(self)

    # -- Remediable (hosts/remediation.py) ---------------------------------------------------------------------
    def components(self) -> tuple[str, ...]:
        """The service, and its instance on each app host (``web@app1``)."""
        return HostsRemediation(self).components()

    def links(self) -> tuple[str, ...]:
        """None: a fleet has no links of opsready's."""
        return ()

    def restart_component(self, name: str, timeout: float = 60.0) -> str:
        """Bring the instances ``name`` covers back into service (see :mod:`opsready.hosts.remediation`)."""
        return HostsRemediation(self).restart_component(name, timeout)

    def reset_link(self, name: str, timeout: float = 10.0) -> str:
        """Refused: a fleet has no links of opsready's."""
        return HostsRemediation(self).reset_link(name, timeout)

    # -- FaultInjectable ------------------------------------------------------------------------------------
    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """Service, network and resource faults on one host (see :mod:`opsready.hosts.faults`); contacts nothing."""
        return host_faults.kinds(self.options)

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """A handle on one fault on one of the target's hosts (a host not in the list is refused)."""
        return host_faults.open_fault(self, spec, fault_id, facts)

    def fault_journal_dir(self) -> Path:
        """Fault journals of this target, under its state directory on this machine."""
        return self.state_dir / "faults"

    def fault_residue(self) -> tuple[Observation, ...]:
        """Every host swept over SSH for fault tables, cgroups, timers and a stopped service."""
        return fault_residue(self)

    # -- SupportsMaintenance -----------------------------------------------------------------------------------
    def maintenance_ops(self) -> MaintenanceOps:
        """Backups on the database host, logs, disk and certificates over SSH (the ``maintenance`` section)."""
        return HostsMaintenanceOps(self.name, self.options, self.connection)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def open_target(config: Config, target: TargetConfig) -> HostsTarget:
    """Adapter entry point (see :mod:`opsready.targets.registry`)."""
    base = os.environ.get("OPSREADY_STATE_DIR")
    state = Path(base).resolve() if base else config.root / ".opsready"
    hosts = HostsTarget(target.name, parse_options(config, target), target.kind, state / "hosts" / target.name)
    hosts.monitoring_setting = target.monitoring
    return hosts


def _implements(
    target: HostsTarget,
) -> tuple[Target, RollingTarget, FaultInjectable, SupportsMaintenance, SupportsDiagnostics, Remediable]:
    """Never called: mypy checks here that the adapter implements the Target, RollingTarget, FaultInjectable,
    SupportsMaintenance, SupportsDiagnostics and Remediable protocols."""
    return target, target, target, target, target, target
