"""Capacity on Kubernetes: the HorizontalPodAutoscaler is the scaling trigger, the PodDisruptionBudget what keeps a
maintenance drain from taking the service down.

Checks are pure functions of what the API returned, each answering with an :class:`Observation` like every probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsready.kubernetes.models import Deployment
from opsready.observation import Observation


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class MetricTarget:
    """One metric an autoscaler scales on, and the value it aims for."""

    source: str  # Resource, ContainerResource, Pods, Object, External
    name: str
    target_type: str  # Utilization, AverageValue, Value
    value: str

    def describe(self) -> str:
        """'cpu Utilization 70'."""
        return f"{self.name} {self.target_type} {self.value}".strip()


@dataclass(frozen=True)
class Autoscaler:
    """A HorizontalPodAutoscaler (autoscaling/v2)."""

    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]


def _metric(spec: Mapping[str, Any]) -> MetricTarget:
    source = str(spec.get("type", ""))
    body = _map(spec.get(source[:1].lower() + source[1:]))  # type Resource -> field "resource"
    name = str(body.get("name") or _map(body.get("metric")).get("name") or "")
    target = _map(body.get("target"))
    kind = str(target.get("type", ""))
    value = {"Utilization": "averageUtilization", "AverageValue": "averageValue", "Value": "value"}.get(kind, "")
    return MetricTarget(source, name, kind, str(target.get(value, "")) if value else "")


def autoscaler_from(obj: Mapping[str, Any]) -> Autoscaler:
    """Build an :class:`Autoscaler` from the API's JSON (minReplicas defaults to 1, as on the server)."""
    meta, spec = _map(obj.get("metadata")), _map(obj.get("spec"))
    ref = _map(spec.get("scaleTargetRef"))
    minimum = spec.get("minReplicas", 1)
    return Autoscaler(
        name=str(meta.get("name", "")),
        target_kind=str(ref.get("kind", "")),
        target_name=str(ref.get("name", "")),
        min_replicas=minimum if isinstance(minimum, int) else 1,
        max_replicas=int(spec.get("maxReplicas") or 0),
        metrics=tuple(_metric(_map(m)) for m in spec.get("metrics") or ()),
    )


def check_autoscaler(
    autoscalers: tuple[Autoscaler, ...], dep: Deployment, min_floor: int = 2, max_ceiling: int = 100
) -> Observation:
    """An HPA targets the deployment, its min/max are sane, and every metric has a target value."""
    hpa = next((a for a in autoscalers if a.target_kind == "Deployment" and a.target_name == dep.name), None)
    if hpa is None:
        return Observation("hpa", False, None, "", f"no HorizontalPodAutoscaler targets deployment {dep.name}")
    problems = []
    if hpa.min_replicas < min_floor:
        problems.append(f"minReplicas {hpa.min_replicas} < {min_floor}: one pod restart is an outage")
    if hpa.max_replicas <= hpa.min_replicas:
        problems.append(f"maxReplicas {hpa.max_replicas} <= minReplicas {hpa.min_replicas}: it cannot scale out")
    if hpa.max_replicas > max_ceiling:
        problems.append(f"maxReplicas {hpa.max_replicas} > {max_ceiling}: a runaway would exhaust the cluster")
    if not hpa.metrics:
        problems.append("no metrics: the autoscaler has nothing to scale on")
    for metric in hpa.metrics:
        if not metric.value:
            problems.append(f"metric '{metric.name or metric.source}' has no target value")
        elif metric.target_type == "Utilization" and not 0 < _number(metric.value) <= 100:
            problems.append(f"metric '{metric.name}' target utilization {metric.value}% is outside 1-100")
    shown = ", ".join(m.describe() for m in hpa.metrics) or "no metrics"
    detail = f"{hpa.name}: {hpa.min_replicas}-{hpa.max_replicas} replicas on {shown}"
    if problems:
        detail += "; " + "; ".join(problems)
    return Observation("hpa", not problems, float(hpa.max_replicas), " max replicas", detail)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return -1.0


@dataclass(frozen=True)
class DisruptionBudget:
    """A PodDisruptionBudget (policy/v1): which pods, and how many may be evicted at once."""

    name: str
    match_labels: tuple[tuple[str, str], ...]
    min_available: str | None
    max_unavailable: str | None


def budget_from(obj: Mapping[str, Any]) -> DisruptionBudget:
    """Build a :class:`DisruptionBudget` from the API's JSON."""
    meta, spec = _map(obj.get("metadata")), _map(obj.get("spec"))
    labels = _map(_map(spec.get("selector")).get("matchLabels"))
    minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
    return DisruptionBudget(
        name=str(meta.get("name", "")),
        match_labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        min_available=None if minimum is None else str(minimum),
        max_unavailable=None if maximum is None else str(maximum),
    )


def _blocks_every_eviction(budget: DisruptionBudget, replicas: int) -> bool:
    if budget.max_unavailable is not None:
        return budget.max_unavailable in ("0", "0%")
    if budget.min_available is None:
        return False
    if budget.min_available.endswith("%"):
        return _number(budget.min_available[:-1]) >= 100
    return _number(budget.min_available) >= replicas


def check_disruption_budget(budgets: tuple[DisruptionBudget, ...], dep: Deployment) -> Observation:
    """A PDB selects the deployment's pods, limits disruption, and still lets a node drain proceed."""
    labels = dict(dep.template_labels)
    budget = next((b for b in budgets if b.match_labels and all(labels.get(k) == v for k, v in b.match_labels)), None)
    if budget is None:
        return Observation("pdb", False, None, "", f"no PodDisruptionBudget selects the pods of {dep.name}")
    rule = f"minAvailable {budget.min_available}" if budget.min_available is not None else ""
    rule = rule or (f"maxUnavailable {budget.max_unavailable}" if budget.max_unavailable is not None else "")
    if not rule:
        return Observation("pdb", False, None, "", f"{budget.name} sets neither minAvailable nor maxUnavailable")
    if _blocks_every_eviction(budget, dep.replicas):
        detail = f"{budget.name}: {rule} with {dep.replicas} replicas blocks every eviction: node drains would hang"
        return Observation("pdb", False, None, "", detail)
    return Observation("pdb", True, None, "", f"{budget.name}: {rule} for {dep.replicas} replicas")
