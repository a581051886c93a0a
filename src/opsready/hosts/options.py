"""The options of a ``platform: hosts`` target in opsready.yaml, validated before any host is contacted.

::

    targets:
      staging:
        platform: hosts
        ssh: {known_hosts: ./known_hosts, ssh_config: ./ssh_config, sudo: false}
        roles:
          app: {hosts: [ssh://deploy@app1:22, ssh://deploy@app2:22]}
          database: {hosts: [ssh://deploy@db:22], expect: {services: [], sockets: [tcp://0.0.0.0:5432]}}
        service: {name: web, supervisorctl: supervisorctl -c /etc/supervisor/supervisord.conf}
        releases: {names: ["1", "2"], dir: /srv/app/releases, current: /srv/app/current}
        instances: {port: 8080}
        balancer: {url: http://lb.example.com/, kind: haproxy, admin_socket: /run/haproxy/admin.sock, backend: app}
        rollout: {batch: 1, drain_timeout: 30s, soak: 30s}
        maintenance: {database: {...}, logs: {app: [/srv/app/*.log]}, disk: [/], certificate: {...}}

The full reference is docs/hosts.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opsready.config import Config, TargetConfig
from opsready.errors import ConfigError, Loc, ValidationError
from opsready.hosts.connection import SshSettings
from opsready.hosts.maintenance_options import HostsMaintenance, parse_maintenance
from opsready.hosts.rollout_options import HaproxyBalancer, Rollout, parse_haproxy, parse_rollout
from opsready.hosts.spec import HostSpec, parse_host_spec
from opsready.yamlsrc import MapReader

Role = Literal["app", "database"]
ROLES: tuple[Role, ...] = ("app", "database")
_URL = re.compile(r"https?://[^\s/@]+(?::\d+)?(?:/\S*)?")
_VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
_PROGRAM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}")


@dataclass(frozen=True)
class HostEntry:
    """One host of a role, and the URL its own instance answers at (app hosts)."""

    spec: HostSpec
    role: Role
    http: str | None  # None: http://<host>:<port>

    @property
    def name(self) -> str:
        """The host's name in reports and errors."""
        return self.spec.name


@dataclass(frozen=True)
class RoleExpectations:
    """What every host of a role should look like beyond what the adapter knows (sockets, private directories)."""

    services: tuple[str, ...] = ()
    sockets: tuple[str, ...] = ()
    private_dirs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LinkReleases:
    """Releases as directories under ``dir``, the live one named by the ``current`` symlink, then ``reload``."""

    dir: str
    current: str
    reload: str  # a shell command run on the host after the link moved

    @property
    def history_file(self) -> str:
        """Where each host keeps its release history (one JSON record a line), beside the ``current`` link."""
        return str(Path(self.current).parent / ".opsready-history.jsonl")


@dataclass(frozen=True)
class CommandReleases:
    """Releases switched by the user's own commands; ``{version}`` is replaced by a validated release name."""

    deploy: str
    rollback: str
    list: str  # prints the releases installed on the host, one a line
    current: str  # prints the release the host runs
    history_file: str


ReleaseStrategy = LinkReleases | CommandReleases


@dataclass(frozen=True)
class HostsOptions:
    """Everything the hosts adapter needs, typed and checked."""

    ssh: SshSettings
    sudo: bool
    hosts: tuple[HostEntry, ...]
    expectations: dict[Role, RoleExpectations]
    service: str
    supervisorctl: str  # the program's path
    supervisor_config: str | None  # its configuration file (None: supervisorctl's default)
    strategy: ReleaseStrategy
    releases: tuple[str, ...]
    port: int
    health_path: str
    readiness_path: str
    version_path: str
    http_timeout: float
    ready_within: float
    balancer_url: str
    haproxy: HaproxyBalancer | None  # None: deploys switch host by host without the balancer
    rollout: Rollout
    loc: Loc
    maintenance: HostsMaintenance | None = None  # backups, logs, disk and certificate (None: not configured)

    def role(self, role: Role) -> tuple[HostEntry, ...]:
        """The hosts of one role, in configuration order."""
        return tuple(h for h in self.hosts if h.role == role)

    def instance_url(self, entry: HostEntry) -> str:
        """The base URL of the instance on ``entry`` (no trailing slash)."""
        return (entry.http or f"http://{entry.spec.host}:{self.port}").rstrip("/")


def check_release_name(version: object, known: tuple[str, ...]) -> str:
    """A release named in the configuration; anything else is refused before a host is contacted."""
    if not isinstance(version, str) or version not in known:
        raise ValidationError(f"release {version!r} is not one of this target's releases ({', '.join(known)})")
    return version


def _url(r: MapReader, key: str) -> str:
    url = r.string(key)
    if _URL.fullmatch(url) is None:
        raise ValidationError(f"'{key}' must be an http(s) URL without credentials", r.loc_of(key))
    return str(url).rstrip("/")


def _path(r: MapReader, key: str, default: str | None = None) -> str:
    value = r.string(key, default) if default is not None else r.string(key)
    if not str(value).startswith("/") or any(c in str(value) for c in "\n'\"$`\\"):
        raise ValidationError(f"'{key}' must be an absolute path on the hosts, without quotes or '$'", r.loc_of(key))
    return str(value)


def _hosts(r: MapReader, role: Role) -> tuple[RoleExpectations, tuple[HostEntry, ...]]:
    found: list[HostEntry] = []
    for item, loc in r.items("hosts"):
        if isinstance(item, str):
            found.append(HostEntry(parse_host_spec(item, loc), role, None))
            continue
        m = MapReader(item, loc, f"a host of role '{role}'")
        spec = parse_host_spec(m.raw("ssh"), m.loc_of("ssh"))
        found.append(HostEntry(spec, role, _url(m, "http") if m.has("http") else None))
        m.done()
    if not found:
        raise ValidationError(f"role '{role}' lists no hosts", r.loc_of("hosts"))
    e = r.optional_map("expect", f"roles.{role}.expect")
    expect = RoleExpectations()
    if e is not None:
        dirs = []
        for item, loc in e.items("private_dirs", []):
            d = MapReader(item, loc, "an entry of 'private_dirs'")
            dirs.append((_path(d, "path"), str(d.string("owner"))))
            d.done()
        expect = RoleExpectations(e.str_list("services", ()), e.str_list("sockets", ()), tuple(dirs))
        e.done()
    return expect, tuple(found)


def _strategy(r: MapReader, service: str, supervisorctl: str) -> ReleaseStrategy:
    if r.has("deploy") or r.has("list"):
        commands = {k: r.string(k) for k in ("deploy", "rollback", "list", "current")}
        for key in ("deploy", "rollback"):
            if "{version}" not in commands[key]:
                raise ValidationError(f"'{key}' must contain '{{version}}'", r.loc_of(key))
        history = _path(r, "history_file", "/var/tmp/opsready-history.jsonl")
        return CommandReleases(history_file=history, **commands)
    default_reload = f"{supervisorctl} restart {service}"
    return LinkReleases(_path(r, "dir"), _path(r, "current"), r.string("reload", default_reload))


def parse_options(config: Config, target: TargetConfig) -> HostsOptions:
    """Typed options of a hosts target; every mistake is a :class:`ConfigError` at its line."""
    try:
        r = target.reader()
        s = r.map("ssh", "'ssh'")

        def local(key: str) -> Path | None:
            return config.resolve(Path(s.string(key)).expanduser()) if s.has(key) else None

        known_hosts = local("known_hosts")
        if known_hosts is None:
            raise ValidationError("'ssh' needs 'known_hosts': host keys are always checked", r.loc_of("ssh"))
        ssh = SshSettings(
            known_hosts=known_hosts,
            ssh_config=local("ssh_config"),
            identity_file=local("identity_file"),
            connect_timeout=s.duration("connect_timeout", 5.0),
            command_timeout=s.duration("command_timeout", 30.0),
        )
        sudo = bool(s.flag("sudo", False))
        s.done()
        roles = r.map("roles", "'roles'")
        hosts: list[HostEntry] = []
        expectations: dict[Role, RoleExpectations] = {}
        for name in roles.names():
            if name not in ROLES:
                raise ValidationError(f"unknown role '{name}' (roles: {', '.join(ROLES)})", roles.loc_of(name))
            role: Role = "app" if name == "app" else "database"
            expectations[role], entries = _hosts(roles.map(name, f"roles.{name}"), role)
            hosts += entries
        if "app" not in expectations:
            raise ValidationError("'roles' needs an 'app' role: the hosts the service runs on", r.loc_of("roles"))
        names = [h.name for h in hosts]
        for h in hosts:
            if names.count(h.name) > 1:
                raise ValidationError(f"host '{h.name}' is listed twice", roles.loc)
        sv = r.map("service", "'service'")
        service = str(sv.string("name"))
        if _PROGRAM.fullmatch(service) is None:
            raise ValidationError(f"'{service}' is not a supervisor program name", sv.loc_of("name"))
        supervisorctl = str(sv.string("supervisorctl", "supervisorctl"))
        if not supervisorctl or any(c.isspace() or c in "'\"$`;&|" for c in supervisorctl):
            raise ValidationError(
                "'supervisorctl' is the program's path alone; its configuration file goes in 'config'",
                sv.loc_of("supervisorctl"),
            )
        supervisor_config = _path(sv, "config") if sv.has("config") else None
        sv.done()
        rel = r.map("releases", "'releases'")
        releases = tuple(str(v) for v in rel.str_list("names"))
        for version in releases:
            if _VERSION.fullmatch(version) is None:
                raise ValidationError(f"release name {version!r} must be letters, digits, '_.+-'", rel.loc_of("names"))
        if not releases:
            raise ValidationError("'releases.names' must name at least one release", rel.loc_of("names"))
        ctl = supervisorctl + (f" -c {supervisor_config}" if supervisor_config else "")
        strategy = _strategy(rel, service, ctl)
        rel.done()
        inst = r.optional_map("instances", "'instances'") or MapReader({}, r.loc, "'instances'")
        paths = {k: str(inst.string(k, d)) for k, d in (("health", "/healthz"), ("readiness", "/readyz"))}
        paths["version"] = str(inst.string("version", "/version"))
        for key, value in paths.items():
            if not value.startswith("/"):
                raise ValidationError(f"'{key}' must be a path starting with '/'", inst.loc_of(key))
        b = r.map("balancer", "'balancer'")
        balancer_url = _url(b, "url")
        app_names = tuple(h.name for h in hosts if h.role == "app")
        haproxy = parse_haproxy(b, app_names)
        b.done()
        rollout = parse_rollout(r.optional_map("rollout", "'rollout'"), len(app_names))
        options = HostsOptions(
            ssh=ssh,
            sudo=sudo,
            hosts=tuple(hosts),
            expectations=expectations,
            service=service,
            supervisorctl=supervisorctl,
            supervisor_config=supervisor_config,
            strategy=strategy,
            releases=releases,
            port=int(inst.integer("port", 8080, minimum=1)),
            health_path=paths["health"],
            readiness_path=paths["readiness"],
            version_path=paths["version"],
            http_timeout=float(inst.duration("timeout", 5.0)),
            ready_within=float(inst.duration("ready_within", 30.0)),
            balancer_url=balancer_url,
            haproxy=haproxy,
            rollout=rollout,
            loc=target.loc,
            maintenance=parse_maintenance(r.optional_map("maintenance", "'maintenance'"), tuple(expectations)),
        )
        inst.done()
        r.done()
    except ValidationError as exc:
        raise ConfigError(exc.message, exc.loc, exc.hint) from None
    return options
