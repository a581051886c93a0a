"""opsready.yaml: targets, SLOs, rollback triggers, checklists, safety allowlist and gate, as frozen dataclasses.

Every mistake is reported as ``opsready.yaml:LINE: message`` before anything touches a target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from opsready.config.analysis import PromqlCheck, parse_promql_checks
from opsready.config.gate import GateConfig, parse_gate
from opsready.config.kpis import Kpis, parse_kpis
from opsready.config.maintenance import MaintenancePolicy, parse_policy
from opsready.config.monitoring import TargetMonitoring, parse_target_monitoring
from opsready.errors import ConfigError, Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, YamlMap, load_yaml

CONFIG_NAME = "opsready.yaml"
TargetKind = Literal["disposable", "real"]  # disposable: opsready may start, stop and reset it (the sandbox)
KINDS: tuple[TargetKind, ...] = ("disposable", "real")
PLATFORMS = ("sandbox", "kubernetes", "hosts")
DISPOSABLE_PLATFORMS = ("sandbox",)  # every other platform drives someone's real system unless a target says otherwise


@dataclass(frozen=True)
class TargetConfig:
    """One system under test: its name, platform, kind (disposable or real), and the platform's own options."""

    name: str
    platform: str
    options: dict[str, object]
    loc: Loc
    kind: TargetKind = "real"
    profile: Path | None = None  # the service profile for this target, overriding the suite's (relative to the config)
    profile_loc: Loc | None = None
    monitoring: TargetMonitoring | None = None  # the team's own Prometheus and Alertmanager (a mapping)

    def reader(self) -> MapReader:
        """A reader over the platform options, for the adapter to build its typed options from."""
        return MapReader(self.options, self.loc, f"targets.{self.name}")


@dataclass(frozen=True)
class Slos:
    """Service level objectives the drills are asserted against (seconds)."""

    rollback_within: float = 300.0
    detect_within: float = 60.0
    healthy_within: float = 60.0
    deploy_within: float = 300.0
    acknowledge_within: float = 900.0


@dataclass(frozen=True)
class RollbackTriggers:
    """When a fresh deployment is judged bad and rolled back automatically."""

    error_rate_above: float = 0.05
    p95_latency_above: float = 0.3
    readiness_failures: int = 3
    smoke_test: bool = True
    soak: float = 10.0
    interval: float = 0.5
    min_requests: int = 10
    prometheus: tuple[PromqlCheck, ...] = ()  # opt-in PromQL triggers, judged from the target's Prometheus


@dataclass(frozen=True)
class DeploymentConfig:
    """Checklists and the emergency path."""

    pre_checklist: Path = Path("runbooks/checklists/pre-deploy.yaml")
    post_checklist: Path = Path("runbooks/checklists/post-deploy.yaml")
    emergency_soak: float = 0.0
    reviews_dir: Path = Path("reports/reviews")


@dataclass(frozen=True)
class Safety:
    """What opsready may do where: targets allowlisted for destructive actions."""

    destructive_targets: tuple[str, ...] = ("sandbox",)
    kubernetes_namespaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """The whole suite configuration."""

    path: Path
    default_target: str
    targets: tuple[TargetConfig, ...]
    slos: Slos = field(default_factory=Slos)
    triggers: RollbackTriggers = field(default_factory=RollbackTriggers)
    deployment: DeploymentConfig = field(default_factory=DeploymentConfig)
    safety: Safety = field(default_factory=Safety)
    maintenance: MaintenancePolicy = field(default_factory=MaintenancePolicy)
    gate: GateConfig = field(default_factory=GateConfig)
    kpis: Kpis = field(default_factory=Kpis)  # KPIs also read from the target's Prometheus (opt-in)
    reports_dir: Path = Path("reports")
    profile: Path | None = None  # the service profile (profiles/*.yaml): what users do, the smoke test, data intact
    profile_loc: Loc = field(default_factory=lambda: Loc(""))

    @property
    def root(self) -> Path:
        """The directory relative paths in the configuration are resolved against."""
        return self.path.parent

    def target(self, name: str | None = None) -> TargetConfig:
        """The named target (the default one when ``name`` is None); unknown names are a :class:`ConfigError`."""
        wanted = name or self.default_target
        for target in self.targets:
            if target.name == wanted:
                return target
        names = [t.name for t in self.targets]
        raise ConfigError(
            f"unknown target '{wanted}'{did_you_mean(wanted, names)}; {self.path.name} defines: {', '.join(names)}"
        )

    def profile_of(self, name: str | None = None) -> tuple[Path, Loc] | None:
        """The profile file of a target (its own ``profile:``, else the suite's) and where it was named, or None."""
        target = self.target(name)
        if target.profile is not None:
            return self.resolve(target.profile), target.profile_loc or target.loc
        if self.profile is not None:
            return self.resolve(self.profile), self.profile_loc
        return None

    def resolve(self, path: Path) -> Path:
        """A configured path made absolute against the configuration's directory."""
        return path if path.is_absolute() else self.root / path


def _slos(r: MapReader | None) -> Slos:
    if r is None:
        return Slos()
    d = Slos()
    slos = Slos(
        rollback_within=r.duration("rollback_within", d.rollback_within),
        detect_within=r.duration("detect_within", d.detect_within),
        healthy_within=r.duration("healthy_within", d.healthy_within),
        deploy_within=r.duration("deploy_within", d.deploy_within),
        acknowledge_within=r.duration("acknowledge_within", d.acknowledge_within),
    )
    r.done()
    return slos


def _triggers(r: MapReader | None) -> RollbackTriggers:
    if r is None:
        return RollbackTriggers()
    d = RollbackTriggers()
    triggers = RollbackTriggers(
        error_rate_above=r.percent("error_rate_above", d.error_rate_above),
        p95_latency_above=r.duration("p95_latency_above", d.p95_latency_above),
        readiness_failures=r.integer("readiness_failures", d.readiness_failures, minimum=1),
        smoke_test=r.flag("smoke_test", d.smoke_test),
        soak=r.duration("soak", d.soak),
        interval=r.duration("interval", d.interval),
        min_requests=r.integer("min_requests", d.min_requests, minimum=1),
        prometheus=parse_promql_checks(r),
    )
    if triggers.interval <= 0:
        raise ConfigError("'interval' must be greater than zero", r.loc_of("interval"))
    r.done()
    return triggers


def _deployment(r: MapReader | None) -> DeploymentConfig:
    if r is None:
        return DeploymentConfig()
    d = DeploymentConfig()
    dep = DeploymentConfig(
        pre_checklist=Path(r.string("pre_checklist", str(d.pre_checklist))),
        post_checklist=Path(r.string("post_checklist", str(d.post_checklist))),
        emergency_soak=r.duration("emergency_soak", d.emergency_soak),
        reviews_dir=Path(r.string("reviews_dir", str(d.reviews_dir))),
    )
    r.done()
    return dep


def _safety(r: MapReader | None) -> Safety:
    if r is None:
        return Safety()
    d = Safety()
    safety = Safety(
        destructive_targets=r.str_list("destructive_targets", d.destructive_targets),
        kubernetes_namespaces=r.str_list("kubernetes_namespaces", d.kubernetes_namespaces),
    )
    r.done()
    return safety


def _platforms(wanted: object) -> tuple[str, ...]:
    """The platforms a target may name: plugins' (opsready.platforms entry points) only looked up when needed."""
    if wanted in PLATFORMS:
        return PLATFORMS
    from opsready.plugins import PLATFORMS_GROUP, names

    return (*PLATFORMS, *names(PLATFORMS_GROUP, PLATFORMS))


def _target(name: str, r: MapReader) -> TargetConfig:
    platform = r.choice("platform", _platforms(r.data.get("platform")))
    kind: TargetKind = r.choice("kind", KINDS, "disposable" if platform in DISPOSABLE_PLATFORMS else "real")
    profile = r.string("profile", None)
    # `monitoring` as a mapping is the team's own monitoring, on any platform; a bare word stays the platform's
    # option (the sandbox's auto/on/off for the monitoring it runs itself)
    own = r.data.get("monitoring")
    watch = parse_target_monitoring(r.map("monitoring", "'monitoring'"), name) if isinstance(own, dict) else None
    taken = ("platform", "kind", "profile", "monitoring") if watch is not None else ("platform", "kind", "profile")
    options = YamlMap((k, v) for k, v in r.data.items() if k not in taken)
    options.line = r.loc.line
    options.key_lines = {k: r.loc_of(k).line for k in options}  # keep lines so adapters report options precisely
    r.names()
    return TargetConfig(
        name=name,
        platform=platform,
        options=options,
        loc=r.loc,
        kind=kind,
        profile=Path(profile) if profile is not None else None,
        profile_loc=r.loc_of("profile"),
        monitoring=watch,
    )


def parse_config(data: object, path: Path) -> Config:
    """Build a :class:`Config` from parsed YAML, validating every field."""
    try:
        r = MapReader(data, Loc(str(path), 1), CONFIG_NAME)
        version = r.integer("version", 1)
        if version != 1:
            raise ConfigError(
                f"unsupported config version {version} (this opsready reads version 1)", r.loc_of("version")
            )
        section = r.map("targets")
        targets = tuple(_target(n, section.map(n, f"targets.{n}")) for n in section.names())
        if not targets:
            raise ConfigError("'targets' must define at least one target", r.loc_of("targets"))
        default = r.string("default_target", targets[0].name)
        names = [t.name for t in targets]
        if default not in names:
            raise ConfigError(
                f"default_target '{default}' is not defined under 'targets'{did_you_mean(default, names)}",
                r.loc_of("default_target"),
            )
        config = Config(
            path=path,
            default_target=default,
            targets=targets,
            slos=_slos(r.optional_map("slos")),
            triggers=_triggers(r.optional_map("rollback_triggers")),
            deployment=_deployment(r.optional_map("deployment")),
            safety=_safety(r.optional_map("safety")),
            maintenance=parse_policy(r.optional_map("maintenance")),
            gate=parse_gate(r.optional_map("gate")),
            kpis=parse_kpis(r.optional_map("kpis")),
            reports_dir=Path(r.string("reports_dir", "reports")),
            profile=Path(profile) if (profile := r.string("profile", None)) is not None else None,
            profile_loc=r.loc_of("profile"),
        )
        r.done()
    except ValidationError as exc:
        raise ConfigError(exc.message, exc.loc, exc.hint) from None
    return config


def find_config(start: Path | None = None) -> Path:
    """The configuration to use: $OPSREADY_CONFIG, else opsready.yaml in ``start`` or one of its parents."""
    env = os.environ.get("OPSREADY_CONFIG")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {here} or its parents",
        hint="run opsready from the suite's directory, or set OPSREADY_CONFIG",
    )


def load_config(path: Path | None = None) -> Config:
    """Load and validate the configuration file (found with :func:`find_config` when no path is given)."""
    resolved = (path or find_config()).resolve()
    try:
        data = load_yaml(resolved)
    except ValidationError as exc:
        raise ConfigError(exc.message, exc.loc) from None
    return parse_config(data, resolved)
