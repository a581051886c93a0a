"""The test fleet as a ``platform: hosts`` target: an opsready.yaml naming its hosts, keys and releases."""

from __future__ import annotations

from pathlib import Path

from opsready.config import load_config
from opsready.hosts.adapter import HostsTarget, open_target

from .balancer import BACKEND
from .fleet import Fleet
from .machine import DEGRADING_RELEASE, FLAWED_RELEASE, RELEASES, SERVICE, SUPERVISOR_BIN, SUPERVISOR_CONF, WEB_PORT


def fleet_yaml(fleet: Fleet, extra_app_host: str | None = None) -> str:
    """The fleet's target configuration, as a user would write it (each instance's address given: the aliases are
    ssh_config's, not DNS names)."""
    app = [n for n, h in fleet.hosts.items() if h.role == "app"]
    app_lines = "".join(
        f"          - {{ssh: '{fleet.spec(n)}', http: 'http://{fleet.hosts[n].address}:{WEB_PORT}'}}\n" for n in app
    )
    names = ", ".join(f'"{r}"' for r in (*RELEASES, FLAWED_RELEASE))
    return f"""\
version: 1
targets:
  fleet:
    platform: hosts
    ssh:
      known_hosts: {fleet.known_hosts}
      ssh_config: {fleet.ssh_config}
      connect_timeout: 3s
      command_timeout: 10s
    roles:
      app:
        hosts:
{app_lines}      database:
        hosts: ['{fleet.spec("db")}']
        expect:
          sockets: ['tcp://{fleet.hosts["db"].address}:22']
    service:
      name: {SERVICE}
      supervisorctl: {SUPERVISOR_BIN / "supervisorctl"}
      config: {SUPERVISOR_CONF}
    releases:
      names: [{names}]
      dir: /srv/app/releases
      current: /srv/app/current
    instances:
      port: {WEB_PORT}
      ready_within: 15s
    balancer:
      url: {fleet.balancer_url}
"""


def target_ctl(fleet: Fleet) -> str:
    """supervisorctl with the app hosts' configuration, as a command line on the hosts."""
    return f"{SUPERVISOR_BIN / 'supervisorctl'} -c {SUPERVISOR_CONF}"


def commands_yaml(fleet: Fleet) -> str:
    """The same fleet with the user-commands release strategy instead of the link one."""
    text = fleet_yaml(fleet)
    start, end = text.index("      dir: /srv/app/releases"), text.index("    instances:")
    ctl = target_ctl(fleet)
    switch = f"ln -sfn /srv/app/releases/{{version}} /srv/app/current && {ctl} restart {SERVICE}"
    commands = [
        f"      deploy: '{switch}'",
        f"      rollback: '{switch}'",
        "      list: 'ls /srv/app/releases'",
        "      current: 'basename \"$(readlink /srv/app/current)\"'",
        "      history_file: /srv/app/.opsready-history.jsonl",
    ]
    return text[:start] + "\n".join(commands) + "\n" + text[end:]


def open_fleet_target(fleet: Fleet, directory: Path, text: str | None = None) -> HostsTarget:
    """Write the configuration to ``directory`` and open its target through the adapter's entry point."""
    path = directory / "opsready.yaml"
    path.write_text(text or fleet_yaml(fleet), encoding="utf-8")
    config = load_config(path)
    return open_target(config, config.target("fleet"))


def rolling_yaml(
    fleet: Fleet,
    *,
    drain: bool = True,
    soak: str = "1s",
    drain_timeout: str = "5s",
    servers: str = "{app1: app1, app2: app2}",
    admin_socket: str | None = None,
    drain_last: bool = False,
) -> str:
    """The fleet with its balancer drained through HAProxy's runtime API: rolling deploys, a batch of one host."""
    text = fleet_yaml(fleet).replace('names: ["1", "2", "3"]', f'names: ["1", "2", "3", "{DEGRADING_RELEASE}"]')
    balancer = f"""\
      kind: haproxy
      admin_socket: {admin_socket or fleet.balancer.path}
      backend: {BACKEND}
      servers: {servers}
    rollout:
      batch: 1
      drain: {"true" if drain else "false"}
      drain_timeout: {drain_timeout}
      drain_last: {"true" if drain_last else "false"}
      soak: {soak}
      check_every: 200ms
      max_error_rate: 2%
      min_requests: 10
"""
    return text + balancer
