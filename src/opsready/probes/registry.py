"""Probes by name, with typed parameters, so YAML (checklists, trees, experiments) can name them and be validated.

:data:`PROBES` holds the built-in probes; :func:`all_probes` adds those installed packages ship through the
``opsready.probes`` entry-point group (:mod:`opsready.plugins`), loaded the first time a probe is looked up."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from opsready.config.analysis import parse_condition
from opsready.errors import Loc, PluginError, ValidationError
from opsready.observation import Observation
from opsready.plugins import PROBES_GROUP, load_as, names
from opsready.probes import (
    breakdown,
    capacity,
    components,
    contention,
    fleet,
    host,
    http,
    metrics,
    paths,
    platform,
    prometheus,
    upkeep,
)
from opsready.spelling import did_you_mean
from opsready.targets.diagnostics import Capability
from opsready.targets.protocol import Target
from opsready.yamlsrc import MapReader

# parameter kinds: how a YAML value is read
ParamKind = Literal["duration", "percent", "int", "text", "number", "condition"]
DURATION: ParamKind = "duration"
PERCENT: ParamKind = "percent"
INT: ParamKind = "int"
TEXT: ParamKind = "text"
NUMBER: ParamKind = "number"
CONDITION: ParamKind = "condition"  # 'result < 0.05', as in the PromQL rollback triggers
REQUIRED: Any = object()  # the default of a parameter that must be written


@dataclass(frozen=True)
class Param:
    """One parameter of a probe: YAML name, keyword argument, kind and default."""

    name: str
    kwarg: str
    kind: ParamKind
    default: object


@dataclass(frozen=True)
class ProbeSpec:
    """A probe that can be named in YAML."""

    name: str
    fn: Callable[..., Observation]
    summary: str
    params: tuple[Param, ...] = ()
    answers: tuple[str, ...] = ()  # values a failed observation may carry, for trees that branch on them
    needs: tuple[Capability, ...] = ()  # what it asks of a target beyond the Target protocol (targets.diagnostics)
    check: Callable[[Mapping[str, Any], Loc], None] | None = None  # validates the arguments together, at load time


PROBES: dict[str, ProbeSpec] = {
    spec.name: spec
    for spec in (
        ProbeSpec(
            "liveness",
            http.liveness,
            "the service answers its health endpoint",
            (Param("timeout", "timeout", DURATION, 2.0),),
        ),
        ProbeSpec(
            "readiness", http.readiness, "the service is ready to serve", (Param("timeout", "timeout", DURATION, 2.0),)
        ),
        ProbeSpec("version", http.version, "the version served", (Param("expect", "expect", TEXT, ""),)),
        ProbeSpec(
            "smoke",
            http.smoke,
            "the profile's smoke test: its journeys, every answer as expected",
            (Param("runs", "runs", INT, 0), Param("orders", "orders", INT, 0)),  # orders: the former name of runs
        ),
        ProbeSpec(
            "error_rate",
            metrics.error_rate,
            "share of failed user requests over a window",
            (Param("window", "window_s", DURATION, 2.0), Param("max", "max_rate", PERCENT, 0.01)),
            needs=("service-metrics",),
        ),
        ProbeSpec(
            "latency",
            metrics.latency,
            "latency quantile of user requests over a window",
            (
                Param("window", "window_s", DURATION, 2.0),
                Param("quantile", "quantile", NUMBER, 0.95),
                Param("max", "max_s", DURATION, 0.3),
            ),
            needs=("service-metrics",),
        ),
        ProbeSpec(
            "response_time",
            http.response_time,
            "how long a user waits for a page, network included",
            (
                Param("path", "path", TEXT, ""),  # the profile's page
                Param("max", "max_s", DURATION, 0.3),
                Param("timeout", "timeout", DURATION, 5.0),
            ),
        ),
        ProbeSpec("processes", platform.processes, "every component is running"),
        ProbeSpec("database", platform.database, "the database answers", (Param("timeout", "timeout", DURATION, 2.0),)),
        ProbeSpec(
            "backlog",
            platform.backlog,
            "the service's backlog (the profile's) is being worked off",
            (Param("max_age", "max_age", DURATION, 10.0),),
            ("unreadable",),  # the stats could not be read: no verdict on the worker
            needs=("orders-api",),
        ),
        ProbeSpec(
            "cpu_pressure",
            host.cpu_pressure,
            "share of time tasks waited for a CPU on the target's hosts",
            (Param("window", "window_s", DURATION, 1.0), Param("max", "max_share", PERCENT, 0.9)),
        ),
        ProbeSpec(
            "memory_available",
            host.memory_available,
            "share of memory available on the target's hosts",
            (Param("min", "min_share", PERCENT, 0.1),),
        ),
        ProbeSpec("disk", upkeep.disk, "the disk is not too full", (Param("max", "max_used", PERCENT, 0.9),)),
        ProbeSpec(
            "certificate",
            upkeep.certificate,
            "the served TLS certificate verifies and is not about to expire",
            (Param("warn_days", "warn_days", INT, 30),),
        ),
        ProbeSpec(
            "direct_liveness",
            paths.direct_liveness,
            "the service's own port answers /healthz, bypassing the network in front of it",
            (Param("timeout", "timeout", DURATION, 1.0),),
            ("refused", "reset", "timeout", "error"),
            needs=("direct-url",),
        ),
        # troubleshooting (runbooks/troubleshooting-tree.yaml): answers say how a check failed
        ProbeSpec(
            "availability",
            paths.availability,
            "users get answers through the public URL (/readyz and a page)",
            (Param("timeout", "timeout", DURATION, 1.5),),
            ("refused", "reset", "timeout", "error", "http-500", "http-502", "http-503", "http-504"),
            needs=("orders-api",),
        ),
        ProbeSpec(
            "users_link",
            paths.users_link,
            "the network between users and the service passes traffic without much delay",
            (
                Param("timeout", "timeout", DURATION, 1.5),
                Param("max_added", "max_added", DURATION, 0.15),
                Param("min_kbps", "min_kbps", NUMBER, 64.0),
                Param("samples", "samples", INT, 2),
            ),
            paths.LINK_ANSWERS,
            needs=("orders-api", "direct-url", "service-metrics"),
        ),
        ProbeSpec(
            "database_link",
            paths.database_link,
            "the network between the service and its database passes traffic without much delay",
            (
                Param("timeout", "timeout", DURATION, 1.5),
                Param("max_added", "max_added", DURATION, 0.1),
                Param("payload_bytes", "payload_bytes", INT, 16_000),
                Param("samples", "samples", INT, 2),
            ),
            (*paths.LINK_ANSWERS, "exhausted", "error"),
            needs=("database-paths",),
        ),
        ProbeSpec(
            "latency_breakdown",
            breakdown.latency_breakdown,
            "a user's wait is short; else which part dominates: users' network, application, database (network)",
            (
                Param("max", "max_s", DURATION, 0.3),
                Param("samples", "samples", INT, 3),
                Param("timeout", "timeout", DURATION, 2.0),
            ),
            (*breakdown.PARTS, "error"),
            needs=("orders-api", "direct-url", "database-paths"),
        ),
        ProbeSpec("platform", components.platform, "the platform answers and runs the target's components"),
        ProbeSpec(
            "component",
            components.component,
            "one component runs and none of its processes is frozen",
            (Param("component", "name", TEXT, REQUIRED),),
            components.COMPONENT_ANSWERS,
            needs=("processes",),
        ),
        ProbeSpec(
            "restarts",
            components.restarts,
            "no component exited unexpectedly within a window",
            (Param("window", "window_s", DURATION, 60.0),),
            needs=("exits",),
        ),
        ProbeSpec(
            "recent_release",
            components.recent_release,
            "no release was deployed within a window",
            (Param("window", "window_s", DURATION, 900.0),),
        ),
        ProbeSpec(
            "database_server",
            contention.database_server,
            "the database server accepts a connection and answers, directly",
            (Param("timeout", "timeout", DURATION, 1.5),),
            contention.SERVER_ANSWERS,
            needs=("database-paths",),
        ),
        ProbeSpec(
            "database_waits",
            contention.database_waits,
            "no database session waits on a lock another one holds",
            (Param("max", "max_waiting", INT, 0), Param("timeout", "timeout", DURATION, 1.5)),
            contention.WAIT_ANSWERS,
            needs=("database-sessions",),
        ),
        ProbeSpec(
            "host_cpu",
            contention.host_cpu,
            "no process group outside the target demands much of the host's CPU",
            (Param("window", "window_s", DURATION, 1.0), Param("max", "max_share", NUMBER, 1.5)),
            needs=("host-load",),
        ),
        ProbeSpec(
            "host_memory",
            contention.host_memory,
            "no process group outside the target holds much of the host's memory",
            (Param("max", "max_share", PERCENT, 0.1),),
            needs=("host-load",),
        ),
        ProbeSpec(
            "instances_serving",
            fleet.instances_serving,
            "every instance answers its health and readiness checks, asked directly on its host",
            (),
            fleet.INSTANCE_ANSWERS,
            needs=("instance-health",),
        ),
        ProbeSpec(
            "serving_instances",
            fleet.serving_instances,
            "the share of instances that serve when asked directly on their hosts",
            needs=("instance-health",),
        ),
        ProbeSpec(
            "host_resources",
            fleet.host_resources,
            "every host is reachable, not overloaded, with memory available and disks not full",
            (
                Param("max_load", "max_load", NUMBER, 2.0),
                Param("min_memory", "min_memory", PERCENT, 0.1),
                Param("max_disk", "max_disk", PERCENT, 0.9),
            ),
            fleet.RESOURCE_ANSWERS,
            needs=("host-resources",),
        ),
        ProbeSpec(
            "cpu_per_unit",
            capacity.cpu_per_unit,
            "CPU per serving unit of the service over a window (the scale-out level)",
            (Param("window", "window_s", DURATION, 2.0), Param("max", "max_ratio", PERCENT, 0.7)),
        ),
        ProbeSpec(
            "promql",
            prometheus.promql,
            "every series of a PromQL query of the target's Prometheus meets a condition (no data: inconclusive)",
            (Param("query", "query", TEXT, REQUIRED), Param("success", "success", CONDITION, REQUIRED)),
            prometheus.ANSWERS,
            check=prometheus.check_promql,
        ),
    )
}


@functools.cache
def all_probes() -> Mapping[str, ProbeSpec]:
    """The built-in probes and every plugin's (a broken, ambiguous or shadowing plugin: :class:`PluginError`)."""
    found = dict(PROBES)
    for name, entry in names(PROBES_GROUP, PROBES).items():
        spec = load_as(entry, ProbeSpec, "an opsready.probes.registry.ProbeSpec")
        if spec.name != name:
            raise PluginError(
                f"plugin {entry.describe()} is a probe named '{spec.name}': the entry point and the probe must share "
                "one name",
                hint=f"fix or uninstall {entry.package}",
            )
        found[name] = spec
    return found


@dataclass(frozen=True)
class ProbeCall:
    """A probe with its arguments, validated at load time."""

    probe: str
    kwargs: tuple[tuple[str, Any], ...]
    loc: Loc

    def run(self, target: Target) -> Observation:
        """Make the observation."""
        return all_probes()[self.probe].fn(target, **dict(self.kwargs))

    @property
    def needs(self) -> tuple[Capability, ...]:
        """What the probe asks of a target beyond the Target protocol."""
        return all_probes()[self.probe].needs


def parse_probe_call(name: object, args: object, name_loc: Loc, args_loc: Loc) -> ProbeCall:
    """Validate a probe name and its arguments (unknown probe or parameter: ``path:line``)."""
    probes = all_probes()
    if not isinstance(name, str) or name not in probes:
        raise ValidationError(
            f"unknown probe {name!r}{did_you_mean(str(name), tuple(probes))}; known probes: {', '.join(probes)}",
            name_loc,
        )
    spec = probes[name]
    reader = MapReader(args if args is not None else {}, args_loc, f"arguments of probe '{name}'")
    kwargs: list[tuple[str, Any]] = []
    for param in spec.params:
        reading: Mapping[str, Callable[..., Any]] = {
            DURATION: reader.duration,
            PERCENT: reader.percent,
            INT: reader.integer,
            TEXT: reader.string,
            NUMBER: reader.number,
            CONDITION: lambda key, *default: parse_condition(reader.raw(key, *default), reader.loc_of(key)),
        }
        default = () if param.default is REQUIRED else (param.default,)
        kwargs.append((param.kwarg, reading[param.kind](param.name, *default)))
    reader.done()
    if spec.check is not None:
        spec.check(dict(kwargs), args_loc)
    return ProbeCall(name, tuple(kwargs), name_loc)
