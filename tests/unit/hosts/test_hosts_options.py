"""``platform: hosts`` options: a complete configuration parses into typed options; each mistake is a ConfigError
at its line, before any host is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError
from opsready.hosts.adapter import HostsTarget, open_target
from opsready.hosts.options import CommandReleases, LinkReleases, parse_options
from opsready.targets.registry import open_target as open_any

GOOD = """\
version: 1
targets:
  staging:
    platform: hosts
    ssh:
      known_hosts: keys/known_hosts
      ssh_config: keys/ssh_config
      sudo: true
    roles:
      app:
        hosts:
          - ssh://deploy@app1.example.com:22
          - {ssh: 'ssh://deploy@app2.example.com', http: 'http://10.0.0.12:8080/'}
      database:
        hosts: [ssh://deploy@db.example.com:2222]
        expect:
          sockets: [tcp://0.0.0.0:5432]
          private_dirs: [{path: /var/lib/postgresql, owner: postgres}]
    service:
      name: orders
      supervisorctl: /usr/bin/supervisorctl
      config: /etc/supervisor/supervisord.conf
    releases:
      names: ["2.4.0", "2.4.1"]
      dir: /srv/orders/releases
      current: /srv/orders/current
    instances:
      port: 8080
      ready_within: 20s
    balancer:
      url: https://orders.example.com/
"""


def load(tmp_path: Path, text: str) -> HostsTarget:
    path = tmp_path / "opsready.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    return open_target(config, config.target())


def test_a_complete_configuration_parses(tmp_path: Path) -> None:
    """Hosts by role, ssh files relative to opsready.yaml, the link strategy with supervisorctl's restart as reload."""
    target = load(tmp_path, GOOD)
    o = target.options
    assert target.kind == "real" and target.base_url == "https://orders.example.com"
    assert [(h.name, h.role, h.spec.port) for h in o.hosts] == [
        ("app1.example.com", "app", 22),
        ("app2.example.com", "app", 22),
        ("db.example.com", "database", 2222),
    ]
    assert o.ssh.known_hosts == tmp_path / "keys/known_hosts" and o.sudo
    assert o.strategy == LinkReleases(
        "/srv/orders/releases",
        "/srv/orders/current",
        "/usr/bin/supervisorctl -c /etc/supervisor/supervisord.conf restart orders",
    )
    assert [o.instance_url(h) for h in o.role("app")] == ["http://app1.example.com:8080", "http://10.0.0.12:8080"]
    assert o.ready_within == 20.0 and o.releases == ("2.4.0", "2.4.1")
    assert target.testinfra_hosts()[2] == "ssh://deploy@db.example.com:2222"
    assert o.expectations["database"].private_dirs == (("/var/lib/postgresql", "postgres"),)


def test_the_registry_opens_it_by_platform_name(tmp_path: Path) -> None:
    """``platform: hosts`` is in the adapter table, loaded lazily; opening contacts no host."""
    path = tmp_path / "opsready.yaml"
    path.write_text(GOOD, encoding="utf-8")
    target = open_any(load_config(path))
    assert isinstance(target, HostsTarget) and not target._connections


def test_user_commands_strategy(tmp_path: Path) -> None:
    """deploy/rollback/list/current commands instead of the link; {version} is required in deploy and rollback."""
    commands = """\
    releases:
      names: ["1"]
      deploy: /opt/bin/deploy {version}
      rollback: /opt/bin/deploy --rollback {version}
      list: ls /opt/releases
      current: cat /opt/current
"""
    text = GOOD.replace(GOOD[GOOD.index("    releases:") : GOOD.index("    instances:")], commands)
    strategy = load(tmp_path, text).options.strategy
    assert isinstance(strategy, CommandReleases) and strategy.deploy == "/opt/bin/deploy {version}"
    with pytest.raises(ConfigError, match=r"opsready.yaml:\d+: 'deploy' must contain '\{version\}'"):
        load(tmp_path, text.replace("deploy {version}", "deploy latest"))


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("ssh://deploy@app1.example.com:22", "ssh://deploy:hunter2@app1.example.com:22", "carries a password", 12),
        ("ssh://deploy@app1.example.com:22", "local://", "only ssh:// hosts", 12),
        ("      known_hosts: keys/known_hosts\n", "", "needs 'known_hosts'", 5),
        ("      sudo: true", "      sudo: yes please", "'sudo' must be true or false", 8),
        ("      database:", "      web:", "unknown role 'web'", 14),
        ("db.example.com:2222", "app1.example.com:22", "host 'app1.example.com' is listed twice", 10),
        ("name: orders", "name: 'orders; rm'", "is not a supervisor program name", 20),
        ("/usr/bin/supervisorctl", "supervisorctl -c x", "the program's path alone", 21),
        ('["2.4.0", "2.4.1"]', '["2.4.0", "../x"]', "must be letters, digits", 24),
        ("dir: /srv/orders/releases", "dir: srv/$HOME", "must be an absolute path", 25),
        ("url: https://orders.example.com/", "url: https://u:p@orders.example.com/", "without credentials", 31),
        ("      ready_within: 20s", "      ready_within: 20s\n      readyness: /ready", "unknown key 'readyness'", 30),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, old: str, new: str, message: str, line: int) -> None:
    """Every mistake names its file and line, and a password is never echoed."""
    assert old in GOOD
    with pytest.raises(ConfigError, match=message) as caught:
        load(tmp_path, GOOD.replace(old, new, 1))
    rendered = caught.value.render()
    assert f"opsready.yaml:{line}" in rendered, rendered
    assert "hunter2" not in rendered


def test_parse_options_needs_an_app_role(tmp_path: Path) -> None:
    """A fleet without app hosts has nothing to deploy to."""
    text = GOOD.replace("      app:\n", "      database_only_marker:\n", 1)
    with pytest.raises(ConfigError, match="unknown role"):
        load(tmp_path, text)
    start, end = GOOD.index("      app:\n"), GOOD.index("      database:")
    path = tmp_path / "opsready.yaml"
    path.write_text(GOOD[:start] + GOOD[end:], encoding="utf-8")
    config = load_config(path)
    with pytest.raises(ConfigError, match="needs an 'app' role"):
        parse_options(config, config.target())
