"""Alertmanager silences (API v2), only where the target allows them, and a target's configured monitoring.

Silencing is the one write opsready makes to a team's monitoring: a target says whether it allows it
(:class:`Silenceable`; a ``monitoring:`` setting only with ``allow: [silences]``) and which matchers select a
component's alerts. A silence carries its own ``endsAt``: Alertmanager ends it then whatever becomes of opsready.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from opsready.config.monitoring import Component, Matcher, TargetMonitoring
from opsready.errors import ProbeError, UsageError
from opsready.monitoring.client import MonitoringEndpoints, monitoring_of

if TYPE_CHECKING:
    import httpx


@runtime_checkable
class Silenceable(Protocol):
    """A target that says whether opsready may silence alerts on its Alertmanager, and how to select a component's."""

    def silence_refusal(self) -> str:
        """'' when silences are allowed; else why not, naming the setting that would allow them."""

    def silence_matchers(self, component: Component) -> tuple[Matcher, ...]:
        """The matchers that select ``component``'s alerts."""


@dataclass(frozen=True)
class Silence:
    """A silence as Alertmanager holds it."""

    id: str
    state: str  # active | pending | expired
    matchers: tuple[Matcher, ...]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str


class SilenceEnded(ProbeError):
    """The silence has ended (its endsAt passed, or someone expired it): it cannot be extended, only made anew."""

    def __init__(self, message: str, ends_at: float | None) -> None:
        super().__init__(message)
        # when it ended (epoch): expiring a silence moves its endsAt to that moment; None: Alertmanager forgot it
        self.ends_at = ends_at


def iso(seconds: float) -> str:
    """Epoch seconds as Alertmanager's RFC 3339 (UTC, milliseconds)."""
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch(text: str) -> float | None:
    """Alertmanager's RFC 3339 time as epoch seconds; None when it is not one."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _silence(data: dict[str, Any]) -> Silence:
    matchers = tuple(
        Matcher(str(m["name"]), str(m["value"]), bool(m.get("isRegex")), bool(m.get("isEqual", True)))
        for m in data.get("matchers", [])
    )
    return Silence(
        id=str(data.get("id", "")),
        state=str(data.get("status", {}).get("state", "")),
        matchers=matchers,
        starts_at=str(data.get("startsAt", "")),
        ends_at=str(data.get("endsAt", "")),
        created_by=str(data.get("createdBy", "")),
        comment=str(data.get("comment", "")),
    )


class SilenceClient:
    """Create, read and expire silences on one Alertmanager."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object = None) -> httpx.Response:
        import httpx

        try:
            return httpx.request(method, f"{self.base_url}{path}", json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ProbeError(f"Alertmanager at {self.base_url} is unreachable ({type(exc).__name__})") from None

    def _post(self, body: Mapping[str, object], refused: str) -> str:
        """POST a silence (new, or ``id`` to update); the id Alertmanager answers, else a ProbeError '``refused``'."""
        response = self._call("POST", "/api/v2/silences", body)
        if response.status_code != 200:
            raise ProbeError(
                f"Alertmanager at {self.base_url} {refused}: HTTP {response.status_code}: {response.text[:200]}"
            )
        return str(response.json()["silenceID"])

    def create(self, matchers: tuple[Matcher, ...], ends: float, created_by: str, comment: str) -> str:
        """A silence from now until epoch ``ends``; its id."""
        body = {
            "matchers": [m.to_api() for m in matchers],
            "startsAt": iso(time.time()),
            "endsAt": iso(ends),
            "createdBy": created_by,
            "comment": comment,
        }
        return self._post(body, "refused the silence")

    def extend(self, silence_id: str, ends: float) -> str:
        """Move an active silence's end to epoch ``ends``; the id it has afterwards. Alertmanager updates an active
        silence in place when only its end changes (same start, same matchers), else it expires the old one and makes
        a new one: the answer's id says which."""
        current = self.get(silence_id)
        if current is None or current.state == "expired":
            raise SilenceEnded(
                f"Alertmanager at {self.base_url}: silence {silence_id} has ended, so it cannot be extended",
                None if current is None else epoch(current.ends_at),
            )
        body = {
            "id": silence_id,
            "matchers": [m.to_api() for m in current.matchers],
            "startsAt": current.starts_at,
            "endsAt": iso(ends),
            "createdBy": current.created_by,
            "comment": current.comment,
        }
        return self._post(body, f"refused to extend silence {silence_id}")

    def get(self, silence_id: str) -> Silence | None:
        """The silence, or None when Alertmanager does not know it (any more)."""
        response = self._call("GET", f"/api/v2/silence/{silence_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProbeError(f"Alertmanager at {self.base_url}: HTTP {response.status_code} for silence {silence_id}")
        return _silence(response.json())

    def find(self, text: str) -> tuple[Silence, ...]:
        """The silences whose comment holds ``text`` (how a run finds the ones it made)."""
        response = self._call("GET", "/api/v2/silences")
        if response.status_code != 200:
            raise ProbeError(f"Alertmanager at {self.base_url}: HTTP {response.status_code} listing silences")
        return tuple(s for s in map(_silence, response.json()) if text in s.comment)

    def expire(self, silence_id: str) -> bool:
        """Expire the silence now (``DELETE /api/v2/silence/{id}``); False when it had already ended (its endsAt
        passed, or someone expired it) or Alertmanager does not know it. Alertmanager answers 200 to a DELETE of an
        expired silence too, so its state is read first."""
        current = self.get(silence_id)
        if current is None or current.state == "expired":
            return False
        response = self._call("DELETE", f"/api/v2/silence/{silence_id}")
        if response.status_code != 200:
            raise ProbeError(
                f"Alertmanager at {self.base_url} refused to expire silence {silence_id}: HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        return True


def silence_access(target: object) -> tuple[MonitoringEndpoints | None, str]:
    """Where silences may be made on ``target``'s Alertmanager, or None and why not (the setting to change)."""
    name = getattr(target, "name", "?")
    endpoints, why = monitoring_of(target)
    if endpoints is None:
        return None, why
    if not isinstance(target, Silenceable):
        return None, f"target '{name}' does not say whether opsready may silence its alerts"
    refusal = target.silence_refusal()
    return (None, refusal) if refusal else (endpoints, "")


def require_silences(target: object) -> MonitoringEndpoints:
    """The endpoints where silences may be made; a :class:`UsageError` naming the setting otherwise."""
    endpoints, why = silence_access(target)
    if endpoints is None:
        raise UsageError(f"no silence may be made: {why}")
    return endpoints


class ConfiguredMonitoring:
    """What an adapter answers for a ``monitoring:`` setting (hosts, kubernetes, third parties): the endpoints, and
    silences only when allowed. A mixin: the adapter sets ``monitoring_setting`` from its TargetConfig."""

    name: str
    monitoring_setting: TargetMonitoring | None = None

    def monitoring(self) -> MonitoringEndpoints | None:
        """The configured endpoints (a receiver port only where the user routed pages to opsready)."""
        s = self.monitoring_setting
        if s is None:
            return None
        port = s.receiver_port if s.allows("receiver") else None
        return MonitoringEndpoints(s.prometheus, s.alertmanager, port, s.receiver_address)

    def monitoring_off_reason(self) -> str:
        """Why there is none ('' when there is)."""
        if self.monitoring_setting is not None:
            return ""
        return f"target '{self.name}' names no monitoring (add monitoring: {{prometheus: URL, alertmanager: URL}})"

    def silence_refusal(self) -> str:
        """Refused unless ``allow`` lists ``silences``: the team's monitoring is read-only by default."""
        s = self.monitoring_setting
        if s is None:
            return self.monitoring_off_reason()
        if s.allows("silences"):
            return ""
        return (
            f"target '{self.name}' allows no silences on its Alertmanager (read-only by default): "
            f"add 'silences' to {s.setting()} to allow them"
        )

    def silence_matchers(self, component: Component) -> tuple[Matcher, ...]:
        """The configured matchers of ``component`` (``component="<name>"`` by default)."""
        if self.monitoring_setting is None:
            return ()
        return self.monitoring_setting.matchers(component)
