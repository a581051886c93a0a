"""The ``maintenance`` section of a hosts target: what the database is and how to back it up, which logs each role
keeps, which filesystems to watch, and which certificate to read; checked at its lines before any host is contacted.

::

    maintenance:
      database:                              # on the (first) host of role 'database'
        engine: sqlite                       # the one engine supported so far
        path: /srv/db/orders.sqlite
        python: /usr/bin/python3             # the host's interpreter: runs SQLite's online backup API there
        backups: /srv/backups                # backup files and their manifests, on the database host
        digest: {table: orders, key: id, columns: [id, item, quantity]}   # what "the data" is
        timeout: 5m                          # each backup or restore, on the host
      logs:                                  # per role: the log files (globs) rotated on each of its hosts
        app: [/srv/app/*.log]
      disk: [/, /srv]                        # filesystems measured on every host (default: /)
      certificate: {role: app, path: /srv/tls/cert.pem, name: orders.example.com, ca: /srv/tls/ca.pem}
      timeout: 60s                           # each other maintenance command on a host
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from opsready.errors import ValidationError
from opsready.yamlsrc import MapReader

Engine = Literal["sqlite"]
ENGINES: tuple[Engine, ...] = ("sqlite",)
RoleName = Literal["app", "database"]
_ROLES: tuple[RoleName, ...] = ("app", "database")
_PATH = re.compile(r"/[A-Za-z0-9_./+@=:-]*")
_GLOB = re.compile(r"/[A-Za-z0-9_./+@=:*?\[\]-]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_HOSTNAME = re.compile(r"[A-Za-z0-9*][A-Za-z0-9.*-]{0,252}")


@dataclass(frozen=True)
class DataDigestSpec:
    """Which rows make up the data a backup must keep: ``columns`` of ``table`` in ``key`` order."""

    table: str
    key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class DatabaseMaintenance:
    """The database on the database host and where its backups go."""

    engine: Engine
    path: str
    python: str
    backups: str
    digest: DataDigestSpec
    timeout: float


@dataclass(frozen=True)
class CertificateFile:
    """A certificate file read on every host of ``role``: its expiry, and whether it verifies for ``name``."""

    role: RoleName
    path: str
    name: str
    ca: str | None  # a CA bundle on the host; None: the host's default trust store


@dataclass(frozen=True)
class HostsMaintenance:
    """The maintenance section of a hosts target."""

    database: DatabaseMaintenance | None
    logs: dict[RoleName, tuple[str, ...]]
    disk: tuple[str, ...]
    certificate: CertificateFile | None
    timeout: float


def _path(r: MapReader, key: str, default: str | None = None, glob: bool = False) -> str:
    value = r.string(key) if default is None else r.string(key, default)
    if (_GLOB if glob else _PATH).fullmatch(value) is None or "/../" in f"{value}/":
        kind = "an absolute path (globs allowed)" if glob else "an absolute path"
        raise ValidationError(f"'{key}' must be {kind} of letters, digits and '_./+@=:-'; got {value!r}", r.loc_of(key))
    return str(value)


def _ident(r: MapReader, key: str, value: object) -> str:
    if not isinstance(value, str) or _IDENT.fullmatch(value) is None:
        raise ValidationError(f"'{key}' must be an SQL name (letters, digits, '_'); got {value!r}", r.loc_of(key))
    return value


def _database(r: MapReader) -> DatabaseMaintenance:
    engine = r.choice("engine", ENGINES)
    d = r.map("digest", "'maintenance.database.digest'")
    table, key = _ident(d, "table", d.raw("table")), _ident(d, "key", d.raw("key"))
    columns = tuple(_ident(d, "columns", c) for c in d.str_list("columns"))
    if not columns:
        raise ValidationError("'columns' must name at least one column", d.loc_of("columns"))
    d.done()
    timeout = float(r.duration("timeout", 300.0))
    if timeout <= 0:
        raise ValidationError("'timeout' must be longer than 0", r.loc_of("timeout"))
    found = DatabaseMaintenance(
        engine=engine,
        path=_path(r, "path"),
        python=_path(r, "python", "/usr/bin/python3"),
        backups=_path(r, "backups"),
        digest=DataDigestSpec(table, key, columns),
        timeout=timeout,
    )
    r.done()
    return found


def _certificate(r: MapReader, roles: tuple[str, ...]) -> CertificateFile:
    role = r.choice("role", tuple(x for x in _ROLES if x in roles), "app")
    name = str(r.string("name"))
    if _HOSTNAME.fullmatch(name) is None:
        raise ValidationError(f"'name' must be a host name; got {name!r}", r.loc_of("name"))
    found = CertificateFile(
        role="app" if role == "app" else "database",
        path=_path(r, "path"),
        name=name,
        ca=_path(r, "ca") if r.has("ca") else None,
    )
    r.done()
    return found


def parse_maintenance(r: MapReader | None, roles: tuple[str, ...]) -> HostsMaintenance | None:
    """The ``maintenance`` section (None when absent); ``roles`` are the roles the target lists."""
    if r is None:
        return None
    db = r.optional_map("database", "'maintenance.database'")
    if db is not None and "database" not in roles:
        raise ValidationError("'database' needs a host of role 'database' under 'roles'", r.loc_of("database"))
    database = _database(db) if db is not None else None
    logs: dict[RoleName, tuple[str, ...]] = {}
    lr = r.optional_map("logs", "'maintenance.logs'")
    if lr is not None:
        for role in lr.names():
            if role not in roles:
                raise ValidationError(
                    f"'{role}' is not a role of this target (roles: {', '.join(roles)})", lr.loc_of(role)
                )
            lr.str_list(role)  # a list of strings, else an error at its line
            logs["app" if role == "app" else "database"] = tuple(
                _path(MapReader({role: p}, lr.loc_of(role), "'maintenance.logs'"), role, glob=True)
                for p in lr.str_list(role)
            )
    disk = tuple(
        _path(MapReader({"disk": p}, r.loc_of("disk"), "'maintenance'"), "disk") for p in r.str_list("disk", ("/",))
    )
    if not disk:
        raise ValidationError("'disk' must name at least one filesystem path", r.loc_of("disk"))
    cr = r.optional_map("certificate", "'maintenance.certificate'")
    certificate = _certificate(cr, roles) if cr is not None else None
    timeout = float(r.duration("timeout", 60.0))
    if timeout <= 0:
        raise ValidationError("'timeout' must be longer than 0", r.loc_of("timeout"))
    r.done()
    return HostsMaintenance(database, logs, disk, certificate, timeout)
