"""Probes by name, with typed parameters, so YAML (checklists, trees, experiments) can name them and be validated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from opsready.config.analysis import parse_condition
from opsready.errors import Loc, ValidationError
from opsready.observation import Observation
from opsready.probes import (
    breakdown,
    capacity,
    components,
    contention,
    host,
    http,
    metrics,
    paths,
    platform,
    prometheus,
    upkeep,
)
from opsready.spelling import did_you_mean
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
    check: Callable[[Mapping[str, Any], Loc], None] | None = None  # validates the arguments together, at load time


PROBES: dict[str, ProbeSpec] = {
    spec.name: spec
    for spec in (
        ProbeSpec(
            "liveness", http.liveness, "the service answers /healthz", (Param("timeout", "timeout", DURATION, 2.0),)
        ),
        ProbeSpec(
            "readiness", http.readiness, "the service is ready to serve", (Param("timeout", "timeout", DURATION, 2.0),)
        ),
        ProbeSpec("version", http.version, "the version served", (Param("expect", "expect", TEXT, ""),)),
        ProbeSpec("smoke", http.smoke, "browse, create and read back orders", (Param("orders", "orders", INT, 6),)),
        ProbeSpec(
            "error_rate",
            metrics.error_rate,
            "share of failed user requests over a window",
            (Param("window", "window_s", DURATION, 2.0), Param("max", "max_rate", PERCENT, 0.01)),
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
        ),
        ProbeSpec(
            "response_time",
            http.response_time,
            "how long a user waits for a page, network included",
            (
                Param("path", "path", TEXT, "/products"),
                Param("max", "max_s", DURATION, 0.3),
                Param("timeout", "timeout", DURATION, 5.0),
            ),
        ),
        ProbeSpec("processes", platform.processes, "every component is running"),
        ProbeSpec("database", platform.database, "the database answers", (Param("timeout", "timeout", DURATION, 2.0),)),
        ProbeSpec(
            "backlog",
            platform.backlog,
            "pending orders are being fulfilled",
            (Param("max_age", "max_age", DURATION, 10.0),),
            ("unreadable",),  # the stats could not be read: no verdict on the worker
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
        ),
        # troubleshooting (runbooks/troubleshooting-tree.yaml): answers say how a check failed
        ProbeSpec(
            "availability",
            paths.availability,
            "users get answers through the public URL (/readyz and a page)",
            (Param("timeout", "timeout", DURATION, 1.5),),
            ("refused", "reset", "timeout", "error", "http-500", "http-502", "http-503", "http-504"),
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
        ),
        ProbeSpec("platform", components.platform, "the platform answers and runs the target's components"),
        ProbeSpec(
            "component",
            components.component,
            "one component runs and none of its processes is frozen",
            (Param("component", "name", TEXT, REQUIRED),),
            components.COMPONENT_ANSWERS,
        ),
        ProbeSpec(
            "restarts",
            components.restarts,
            "no component exited unexpectedly within a window",
            (Param("window", "window_s", DURATION, 60.0),),
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
        ),
        ProbeSpec(
            "database_waits",
            contention.database_waits,
            "no database session waits on a lock another one holds",
            (Param("max", "max_waiting", INT, 0), Param("timeout", "timeout", DURATION, 1.5)),
            contention.WAIT_ANSWERS,
        ),
        ProbeSpec(
            "host_cpu",
            contention.host_cpu,
            "no process group outside the target demands much of the host's CPU",
            (Param("window", "window_s", DURATION, 1.0), Param("max", "max_share", NUMBER, 1.5)),
        ),
        ProbeSpec(
            "host_memory",
            contention.host_memory,
            "no process group outside the target holds much of the host's memory",
            (Param("max", "max_share", PERCENT, 0.1),),
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
            prometheus.check_promql,
        ),
    )
}


@dataclass(frozen=True)
class ProbeCall:
    """A probe with its arguments, validated at load time."""

    probe: str
    kwargs: tuple[tuple[str, Any], ...]
    loc: Loc

    def run(self, target: Target) -> Observation:
        """Make the observation."""
        return PROBES[self.probe].fn(target, **dict(self.kwargs))


def parse_probe_call(name: object, args: object, name_loc: Loc, args_loc: Loc) -> ProbeCall:
    """Validate a probe name and its arguments (unknown probe or parameter: ``path:line``)."""
    if not isinstance(name, str) or name not in PROBES:
        raise ValidationError(
            f"unknown probe {name!r}{did_you_mean(str(name), tuple(PROBES))}; known probes: {', '.join(PROBES)}",
            name_loc,
        )
    spec = PROBES[name]
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
