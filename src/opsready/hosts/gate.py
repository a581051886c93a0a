"""The load balancer as a rolling deploy uses it: check the configured servers exist, drain one, wait until its
requests in flight are done, put it back.

The servers are the target's configuration (``balancer.servers``) checked against what HAProxy itself reports: a name
HAProxy does not know is a configuration error at the line it was written on, found before anything changes.
"""

from __future__ import annotations

import time

from opsready.errors import ConfigError, DeployError
from opsready.hosts.haproxy import BackendStats, HaproxyRuntime, ServerStats
from opsready.hosts.rollout_options import HaproxyBalancer

SERVING = ("UP", "no check")  # show stat's status of a server in rotation (health checked, or not checked at all)


class DrainTimeout(DeployError):
    """A drained server still had requests in flight when the drain timeout ran out."""

    def __init__(self, host: str, server: str, sessions: int, timeout: float) -> None:
        super().__init__(
            f"host {host}: draining in the balancer failed: {sessions} request(s) still in flight on server "
            f"{server} after {timeout:g} s (rollout.drain_timeout)"
        )
        self.host = host


class BalancerGate:
    """Drain and restore the app hosts' servers in one HAProxy backend."""

    def __init__(self, config: HaproxyBalancer, timeout: float = 3.0) -> None:
        self.config = config
        self.api = HaproxyRuntime(config.admin_socket, timeout)

    def server(self, host: str) -> str:
        """The backend/server name of an app host, as HAProxy's runtime API writes it."""
        return f"{self.config.backend}/{self.config.servers[host]}"

    def stats(self) -> BackendStats:
        """The backend's counters now."""
        return self.api.stats(self.config.backend)

    def of(self, stats: BackendStats, host: str) -> ServerStats:
        """An app host's row in ``stats``."""
        return stats.servers[self.config.servers[host]]

    def preflight(self, hosts: tuple[str, ...]) -> BackendStats:
        """Every app host's server is in the backend and up, in rotation; else an error before anything changes."""
        stats = self.stats()
        known = ", ".join(stats.servers) or "none"
        for host in hosts:
            name = self.config.servers[host]
            if name not in stats.servers:
                raise ConfigError(
                    f"app host {host}'s server '{name}' is not in HAProxy backend '{self.config.backend}' "
                    f"(its servers: {known})",
                    self.config.locs[host],
                    hint="name each app host's server under balancer.servers as HAProxy's configuration does",
                )
        not_serving = [f"{h} ({self.of(stats, h).status})" for h in hosts if self.of(stats, h).status not in SERVING]
        if not_serving:
            raise DeployError(
                f"the balancer does not have every app host in rotation: {', '.join(not_serving)}; nothing was changed",
                hint="a host left drained by a stopped deploy is put back with "
                "'set server <backend>/<server> state ready' once it is checked",
            )
        return stats

    def drain(self, host: str) -> int:
        """Take the host's server out of rotation (requests in flight finish; no new ones arrive); how many were
        in flight on it just after."""
        self.api.set_state(self.config.backend, self.config.servers[host], "drain")
        return self.of(self.stats(), host).sessions

    def ready(self, host: str) -> None:
        """Put the host's server back in rotation."""
        self.api.set_state(self.config.backend, self.config.servers[host], "ready")

    def wait_drained(self, host: str, timeout: float, poll: float = 0.05) -> float:
        """Wait until the host's server has no session open; seconds waited, or :class:`DrainTimeout`."""
        start = time.monotonic()
        while True:
            sessions = self.of(self.stats(), host).sessions
            waited = time.monotonic() - start
            if sessions == 0:
                return waited
            if waited >= timeout:
                raise DrainTimeout(host, self.server(host), sessions, timeout)
            time.sleep(poll)
