"""Read-only clients of Prometheus's and Alertmanager's HTTP APIs: scrape targets, alerts, instant queries.

A target that has monitoring says where (:class:`Monitored`); everything here only reads. Prometheus unreachable or
answering an error is a :class:`~opsready.errors.ProbeError` naming the URL: a drill never takes silence for calm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from opsready.errors import ProbeError
from opsready.monitoring.rules import parse_prometheus_duration

AlertState = Literal["inactive", "pending", "firing"]
TargetHealth = Literal["up", "down", "unknown"]


@dataclass(frozen=True)
class MonitoringEndpoints:
    """Where a target's Prometheus and Alertmanager answer, and the port (and address, loopback by default)
    Alertmanager pages opsready on (None: its routes do not reach opsready, so pages cannot be measured)."""

    prometheus: str
    alertmanager: str
    receiver_port: int | None = None
    receiver_address: str = "127.0.0.1"


@runtime_checkable
class Monitored(Protocol):
    """A target that can say where its monitoring is (None: it has none, and ``monitoring_off_reason`` says why)."""

    def monitoring(self) -> MonitoringEndpoints | None:
        """The endpoints, or None when this target runs without monitoring."""

    def monitoring_off_reason(self) -> str:
        """Why there is no monitoring ('' when there is)."""


def monitoring_of(target: object) -> tuple[MonitoringEndpoints | None, str]:
    """Where ``target``'s monitoring answers, or None and why it has none."""
    name = getattr(target, "name", "?")
    if not isinstance(target, Monitored):
        return None, f"target '{name}' has no monitoring"
    endpoints = target.monitoring()
    if endpoints is None:
        return None, target.monitoring_off_reason() or f"target '{name}' has no monitoring"
    return endpoints, ""


@dataclass(frozen=True)
class ScrapeTarget:
    """One scrape target as Prometheus sees it."""

    job: str
    instance: str
    health: TargetHealth
    last_error: str


@dataclass(frozen=True)
class ActiveAlert:
    """One pending or firing alert: its name, state, labels and when it became active (Prometheus's clock)."""

    name: str
    state: AlertState
    active_at: datetime | None
    labels: tuple[tuple[str, str], ...]

    def label(self, key: str) -> str | None:
        """One label's value."""
        return dict(self.labels).get(key)


@dataclass(frozen=True)
class Cadence:
    """How often a Prometheus scrapes (the longest interval of any of its jobs: an alert may read any of them) and
    evaluates each rule group (a group's own ``interval:`` or the global ``evaluation_interval``)."""

    scrape: float
    evaluation: float
    groups: tuple[tuple[str, float], ...] = ()

    def evaluation_of(self, group: str) -> float:
        """The evaluation interval of one rule group (the global one for a group Prometheus did not load)."""
        return dict(self.groups).get(group, self.evaluation)


def _seconds(text: object, default: float) -> float:
    if not isinstance(text, str):
        return default
    try:
        return parse_prometheus_duration(text)
    except ValueError:
        return default


def _timestamp(text: object) -> datetime | None:
    if not isinstance(text, str) or not text or text.startswith("0001-"):
        return None
    # Prometheus writes nanoseconds ("2026-12-02T14:01:02.123456789Z"); datetime takes microseconds
    head, _, rest = text.rstrip("Z").partition(".")
    fraction = rest[:6]
    return datetime.fromisoformat(f"{head}.{fraction or '0'}+00:00")


class PrometheusClient:
    """Prometheus's HTTP API (v1)."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        import httpx

        url = f"{self.base_url}{path}"
        try:
            response = httpx.get(url, params=params, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ProbeError(f"Prometheus at {self.base_url} is unreachable ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or body.get("status") != "success":
            detail = body.get("error") or response.text[:200]
            raise ProbeError(f"Prometheus at {self.base_url} refused {path}: HTTP {response.status_code}: {detail}")
        return body["data"]

    def ready(self) -> bool:
        """Whether Prometheus says it is ready to serve queries."""
        import httpx

        try:
            return httpx.get(f"{self.base_url}/-/ready", timeout=self.timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def targets(self) -> tuple[ScrapeTarget, ...]:
        """The active scrape targets and their health."""
        data = self._get("/api/v1/targets", {"state": "active"})
        return tuple(
            ScrapeTarget(
                job=str(t.get("labels", {}).get("job", t.get("scrapePool", ""))),
                instance=str(t.get("labels", {}).get("instance", "")),
                health=t.get("health", "unknown"),
                last_error=str(t.get("lastError", "")),
            )
            for t in data.get("activeTargets", [])
        )

    def alerts(self) -> tuple[ActiveAlert, ...]:
        """Every pending and firing alert."""
        data = self._get("/api/v1/alerts")
        return tuple(
            ActiveAlert(
                name=str(a.get("labels", {}).get("alertname", "")),
                state=a.get("state", "inactive"),
                active_at=_timestamp(a.get("activeAt")),
                labels=tuple(sorted((str(k), str(v)) for k, v in a.get("labels", {}).items())),
            )
            for a in data.get("alerts", [])
        )

    def cadence(self) -> Cadence:
        """Its scrape and evaluation intervals, read from its loaded configuration and rule groups (Prometheus's
        defaults, 1 minute each, where the configuration leaves them out)."""
        import yaml  # only a drill with monitoring reads Prometheus's configuration

        try:
            config = yaml.safe_load(str(self._get("/api/v1/status/config").get("yaml", ""))) or {}
        except yaml.YAMLError:
            config = {}
        settings = config.get("global") or {}
        scrape = _seconds(settings.get("scrape_interval"), 60.0)
        jobs = [_seconds(job.get("scrape_interval"), scrape) for job in config.get("scrape_configs") or []]
        evaluation = _seconds(settings.get("evaluation_interval"), 60.0)
        groups = self._get("/api/v1/rules", {"type": "alert"}).get("groups", [])
        return Cadence(
            scrape=max([scrape, *jobs]),
            evaluation=evaluation,
            groups=tuple((str(g.get("name", "")), float(g.get("interval") or evaluation)) for g in groups),
        )

    def query(self, expr: str) -> tuple[tuple[dict[str, str], float], ...]:
        """An instant query's vector: (labels, value) per series; a syntax error is a ProbeError saying so."""
        data = self._get("/api/v1/query", {"query": expr})
        if data.get("resultType") != "vector":
            raise ProbeError(f"query {expr!r} is not an instant vector (got {data.get('resultType')})")
        return tuple((dict(r["metric"]), float(r["value"][1])) for r in data.get("result", []))


class AlertmanagerClient:
    """Alertmanager's HTTP API (v2)."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def ready(self) -> bool:
        """Whether Alertmanager says it is ready."""
        import httpx

        try:
            return httpx.get(f"{self.base_url}/-/ready", timeout=self.timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def alert_names(self) -> tuple[str, ...]:
        """The names of the alerts Alertmanager holds now."""
        import httpx

        try:
            response = httpx.get(f"{self.base_url}/api/v2/alerts", timeout=self.timeout)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ProbeError(f"Alertmanager at {self.base_url} is unreachable ({type(exc).__name__})") from None
        return tuple(str(a.get("labels", {}).get("alertname", "")) for a in response.json())
