"""What the capacity finder measured, as data: each load step, the knee, the resource use there and the resource
estimate derived from it; saved as ``reports/capacity.json`` (schema ``opsready.capacity/1``) for the plan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from opsready.errors import UsageError
from opsready.targets.capacity import ResourceUse
from opsready.textfile import read_text

SCHEMA = "opsready.capacity/1"
MB = 1024 * 1024


@dataclass(frozen=True)
class LoadStep:
    """One load level the finder tried."""

    offered_rps: float
    achieved_rps: float
    p95: float | None
    error_rate: float | None
    sustained: bool  # achieved at least the sustain share of the offered load
    thresholds_met: bool
    violations: tuple[str, ...]
    seconds: float
    resources: ResourceUse | None = None

    @property
    def ok(self) -> bool:
        """Sustained and within every threshold."""
        return self.sustained and self.thresholds_met


@dataclass(frozen=True)
class ResourceEstimate:
    """Resource needs derived from the use measured at the knee, per 100 requests per second and per unit."""

    cpu_cores_per_100_rps: float
    service_cpu_cores_per_100_rps: float
    memory_mb_per_100_rps: float
    rps_per_unit: float
    memory_mb_per_unit: float
    connections_at_knee: int

    @classmethod
    def at(cls, rps: float, use: ResourceUse) -> ResourceEstimate:
        """Scale the use measured at ``rps`` to the estimate's units."""
        per100 = 100.0 / rps if rps > 0 else 0.0
        units = max(1, use.units)
        return cls(
            cpu_cores_per_100_rps=use.cpu_cores * per100,
            service_cpu_cores_per_100_rps=use.service_cpu_cores * per100,
            memory_mb_per_100_rps=use.rss_bytes / MB * per100,
            rps_per_unit=rps / units,
            memory_mb_per_unit=use.service_rss_bytes / MB / units,
            connections_at_knee=use.connections,
        )


@dataclass(frozen=True)
class CapacityResult:
    """The highest sustainable throughput that met the thresholds (the knee), and how it was found."""

    target: str
    measured_at: str  # wall clock, ISO 8601 UTC
    knee_rps: float  # achieved throughput at the highest load that passed
    knee_offered_rps: float
    limited: bool  # True when the finder's limit passed: capacity is at least knee_rps
    units: int
    users: int
    steps: tuple[LoadStep, ...]
    resources: ResourceUse | None
    estimate: ResourceEstimate | None
    seconds: float
    thresholds: tuple[str, ...]

    def to_json(self) -> str:
        """The result as versioned JSON."""
        return json.dumps({"schema": SCHEMA, **asdict(self)}, indent=2) + "\n"


def _use(data: object) -> ResourceUse | None:
    return ResourceUse(**data) if isinstance(data, dict) else None


def result_from_json(text: str, source: str) -> CapacityResult:
    """Read a saved result; anything else (another schema, a damaged file) is a :class:`UsageError`."""
    try:
        data = json.loads(text)
        if data.get("schema") != SCHEMA:
            raise UsageError(f"{source} is not an opsready capacity result ({SCHEMA})")
        data.pop("schema")
        steps = tuple(
            LoadStep(**{**s, "violations": tuple(s["violations"]), "resources": _use(s.get("resources"))})
            for s in data.pop("steps")
        )
        estimate = data.pop("estimate")
        resources = _use(data.pop("resources"))
        thresholds = tuple(data.pop("thresholds"))
        return CapacityResult(
            **data,
            steps=steps,
            resources=resources,
            estimate=ResourceEstimate(**estimate) if estimate else None,
            thresholds=thresholds,
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UsageError(f"cannot read capacity result {source}: {type(exc).__name__}: {exc}") from None


def load_result(path: Path) -> CapacityResult:
    """The result saved by ``opsready capacity find``."""
    if not path.exists():
        raise UsageError(f"no measured capacity in {path}", hint="measure it first: opsready capacity find")
    return result_from_json(read_text(path, "capacity result"), str(path))


def save_result(result: CapacityResult, path: Path) -> Path:
    """Write the result for the plan (and for people)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.to_json(), encoding="utf-8")
    return path
