"""The ``maintenance`` section of a hosts target: a complete one parses into typed settings; each mistake is a
ConfigError at its line, before any host is contacted; a target without it refuses maintenance clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError, UsageError
from opsready.hosts.adapter import HostsTarget, open_target
from opsready.targets.maintenance import maintenance_of
from tests.unit.hosts.test_hosts_options import GOOD

SECTION = """\
    maintenance:
      database:
        engine: sqlite
        path: /srv/db/orders.sqlite
        backups: /srv/backups
        digest: {table: orders, key: id, columns: [id, item, quantity]}
        timeout: 2m
      logs:
        app: [/srv/orders/*.log, /var/log/orders/access.log]
      disk: [/, /srv]
      certificate: {role: app, path: /etc/ssl/orders.pem, name: orders.example.com}
"""


def load(tmp_path: Path, section: str) -> HostsTarget:
    path = tmp_path / "opsready.yaml"
    path.write_text(GOOD + section, encoding="utf-8")
    config = load_config(path)
    return open_target(config, config.target())


def line_of(tmp_path: Path, text: str) -> int:
    lines = (tmp_path / "opsready.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_a_complete_section_parses(tmp_path: Path) -> None:
    """Database, logs by role, filesystems, the certificate and the defaults (python3, a 60 s command limit)."""
    m = load(tmp_path, SECTION).options.maintenance
    assert m is not None and m.database is not None and m.certificate is not None
    assert (m.database.engine, m.database.path, m.database.python) == (
        "sqlite",
        "/srv/db/orders.sqlite",
        "/usr/bin/python3",
    )
    assert m.database.digest.columns == ("id", "item", "quantity") and m.database.timeout == 120.0
    assert m.logs == {"app": ("/srv/orders/*.log", "/var/log/orders/access.log")}
    assert m.disk == ("/", "/srv") and m.timeout == 60.0
    assert (m.certificate.role, m.certificate.name, m.certificate.ca) == ("app", "orders.example.com", None)


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        ("engine: sqlite", "engine: mysql", "engine: mysql", "'engine' must be one of sqlite"),
        ("table: orders", "table: 'orders; drop'", "digest:", "'table' must be an SQL name"),
        ("columns: [id, item, quantity]", "columns: []", "digest:", "'columns' must name at least one column"),
        ("path: /srv/db/orders.sqlite", "path: srv/db.sqlite", "path: srv/db.sqlite", "'path' must be an absolute"),
        ("backups: /srv/backups", "backups: /srv/$(reboot)", "backups:", "'backups' must be an absolute path"),
        ("app: [/srv/orders/*.log", "web: [/srv/orders/*.log", "web:", "'web' is not a role of this target"),
        ("/var/log/orders/access.log]", "'/var/log/a b.log']", "a b.log", "'app' must be an absolute path (globs"),
        ("timeout: 2m", "timeout: 0s", "timeout: 0s", "'timeout' must be longer than 0"),
        ("name: orders.example.com}", "name: 'a b'}", "certificate:", "'name' must be a host name"),
        ("disk: [/, /srv]", "disks: [/]", "disks:", "unknown key 'disks'"),
    ],
)
def test_each_mistake_is_refused_at_its_line(tmp_path: Path, old: str, new: str, at: str, message: str) -> None:
    """The error names the file and the line of the offending key, and says what is wrong."""
    assert old in SECTION
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, SECTION.replace(old, new))
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == line_of(tmp_path, at), caught.value


def test_a_database_section_needs_a_database_host(tmp_path: Path) -> None:
    """Backups go to the host of role 'database': without one the section is refused at 'database:'."""
    text = GOOD.replace("      database:\n        hosts: [ssh://deploy@db.example.com:2222]\n", "")
    text = text[: text.index("        expect:")] + text[text.index("    service:") :]
    path = tmp_path / "opsready.yaml"
    path.write_text(text + SECTION, encoding="utf-8")
    config = load_config(path)
    with pytest.raises(ConfigError, match="needs a host of role 'database'") as caught:
        open_target(config, config.target())
    assert caught.value.loc is not None and caught.value.loc.line == line_of(tmp_path, "      database:")


def test_without_a_section_what_needs_configuring_is_refused_before_any_connection(tmp_path: Path) -> None:
    """Backup, housekeeping, log rotation and the certificate say which key is missing, pointing at the target; the
    hosts are never contacted (disk usage of / needs nothing configured)."""
    target = load(tmp_path, "")
    ops = maintenance_of(target)
    for call, key in (
        (ops.backup, "maintenance.database"),
        (ops.housekeeping, "maintenance.database"),
        (lambda: ops.rotate_logs(3), "maintenance.logs"),
        (ops.certificate, "maintenance.certificate"),
    ):
        with pytest.raises(UsageError, match=key.replace(".", r"\.")):
            call()
    assert target._connections == {}


def test_renewing_a_certificate_is_refused_and_says_why(tmp_path: Path) -> None:
    """opsready reads a fleet's certificates; issuing them is the team's CA's work."""
    with pytest.raises(UsageError, match="renewing a certificate on hosts is not supported"):
        maintenance_of(load(tmp_path, SECTION)).renew_certificate(90)
