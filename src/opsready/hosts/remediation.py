"""An incident's first move on a fleet (:class:`~opsready.targets.remediation.Remediable`): bring the service's
instances back into service, through each host's supervisor, over SSH.

A component is the service (``web``: every app host whose instance does not serve) or one host's instance of it
(``web@app1``). An instance that serves is never restarted by the service's name, so a mitigation never takes down
the instances that still carry the users; one named by its host is restarted fresh even when it serves. The move
returns once every instance it touched serves again (health and readiness asked directly), or raises a
:class:`HostError` naming the host. A fleet has no network links of opsready's to reset.
"""

from __future__ import annotations

import shlex
import time
from typing import Protocol

from opsready.errors import HostError, UsageError
from opsready.hosts.connection import HostConnection
from opsready.hosts.instances import probe
from opsready.hosts.options import HostEntry, HostsOptions
from opsready.spelling import did_you_mean


class FleetControl(Protocol):
    """What remediation needs of the hosts target."""

    name: str
    options: HostsOptions

    def connection(self, name: str) -> HostConnection:
        """The open SSH connection to a configured host."""
        ...


class HostsRemediation:
    """Restart the service's instances on the hosts of one fleet."""

    def __init__(self, target: FleetControl) -> None:
        self.target = target

    def components(self) -> tuple[str, ...]:
        """The service, and the service on each app host (``web@app1``)."""
        service = self.target.options.service
        return (service, *(f"{service}@{e.name}" for e in self.target.options.role("app")))

    def _chosen(self, name: str) -> tuple[tuple[HostEntry, ...], bool]:
        known = self.components()
        if name not in known:
            raise UsageError(f"unknown component '{name}'{did_you_mean(name, known)} (have: {', '.join(known)})")
        app = self.target.options.role("app")
        if "@" in name:
            host = name.partition("@")[2]
            return tuple(e for e in app if e.name == host), True
        return tuple(e for e in app if not probe(self.target.options, e).serving), False

    def _ctl(self, action: str) -> str:
        o = self.target.options
        config = f" -c {shlex.quote(o.supervisor_config)}" if o.supervisor_config else ""
        command = f"{shlex.quote(o.supervisorctl)}{config} {action} {shlex.quote(o.service)}"
        return f"sudo -n sh -c {shlex.quote(command)}" if o.sudo else command

    def _bring_back(self, entry: HostEntry, fresh: bool, deadline: float) -> str:
        conn = self.target.connection(entry.name)
        state = conn.run(self._ctl("status")).stdout.split()
        was = state[1] if len(state) > 1 else "unknown"
        action = "restart" if fresh or was == "RUNNING" else "start"  # a running one that does not serve: fresh
        conn.check(self._ctl(action), timeout=max(1.0, deadline - time.monotonic()))
        while True:
            seen = probe(self.target.options, entry)
            if seen.serving:
                return (
                    f"{action}ed '{self.target.options.service}' on {entry.name} (it was {was}); serves {seen.version}"
                )
            if time.monotonic() > deadline:
                raise HostError(
                    f"'{self.target.options.service}' does not serve after {action} ({seen.detail})", entry.name
                )
            time.sleep(0.2)

    def restart_component(self, name: str, timeout: float = 60.0) -> str:
        """Bring the instances ``name`` covers back into service; a sentence saying what was done on which host."""
        chosen, fresh = self._chosen(name)
        if not chosen:
            return f"every instance of '{name}' serves already; nothing was restarted"
        deadline = time.monotonic() + timeout
        return "; ".join(self._bring_back(entry, fresh, deadline) for entry in chosen)

    def reset_link(self, name: str, timeout: float = 10.0) -> str:
        """Refused: a fleet has no links of opsready's (network faults on hosts end with ``opsready recover``)."""
        raise UsageError(
            f"target '{self.target.name}' has no link '{name}' to reset: a fleet's network faults are reverted with "
            "`opsready recover`"
        )
