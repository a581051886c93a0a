"""Probes by name, with typed parameters, so YAML (checklists, trees, experiments) can name them and be validated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opsready.errors import Loc, ValidationError
from opsready.probes import http, metrics, platform
from opsready.probes.observation import Observation
from opsready.target.protocol import Target
from opsready.yamlsrc import MapReader, did_you_mean

# parameter kinds: how a YAML value is read
DURATION, PERCENT, INT, TEXT, NUMBER = "duration", "percent", "int", "text", "number"


@dataclass(frozen=True)
class Param:
    """One parameter of a probe: YAML name, keyword argument, kind and default."""

    name: str
    kwarg: str
    kind: str
    default: object


@dataclass(frozen=True)
class ProbeSpec:
    """A probe that can be named in YAML."""

    name: str
    fn: Callable[..., Observation]
    summary: str
    params: tuple[Param, ...] = ()


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
        ProbeSpec("processes", platform.processes, "every component is running"),
        ProbeSpec("database", platform.database, "the database answers", (Param("timeout", "timeout", DURATION, 2.0),)),
        ProbeSpec(
            "backlog",
            platform.backlog,
            "pending orders are being fulfilled",
            (Param("max_age", "max_age", DURATION, 10.0),),
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
        }
        kwargs.append((param.kwarg, reading[param.kind](param.name, param.default)))
    reader.done()
    return ProbeCall(name, tuple(kwargs), name_loc)
