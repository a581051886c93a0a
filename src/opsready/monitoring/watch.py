"""Watching alerts during a drill: when each became pending and firing in Prometheus, and when its page arrived.

A thread polls Prometheus's ``/api/v1/alerts`` every :data:`POLL` seconds while the receiver takes Alertmanager's
posts. Three times per alert, all on the monotonic clock of the drill:

- pending: Prometheus's ``activeAt`` (its own clock, exact), mapped through the wall-clock offset at the poll;
- firing: the first poll that saw it firing (known to :data:`POLL` s: Prometheus records no firing time);
- delivered: when the receiver got Alertmanager's post.

Nothing is inferred: an alert not seen has no time, and a drill reports it as never fired, never as on time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

from opsready.errors import OpsreadyError
from opsready.monitoring.client import MonitoringEndpoints, PrometheusClient
from opsready.monitoring.receiver import AlertReceiver, DeliveredAlert

POLL = 0.5


@dataclass(frozen=True)
class AlertTimes:
    """What was observed of one alert (monotonic clock values; None: not observed)."""

    name: str
    pending: float | None
    firing: float | None
    delivered: float | None


class AlertWatch:
    """Poll Prometheus for ``names`` and receive their pages (use as a context manager)."""

    def __init__(self, endpoints: MonitoringEndpoints, names: tuple[str, ...], poll: float = POLL) -> None:
        self.endpoints = endpoints
        self.names = names
        self.poll = poll
        self.client = PrometheusClient(endpoints.prometheus, timeout=max(1.0, poll * 4))
        self.receiver = (
            AlertReceiver(endpoints.receiver_port, endpoints.receiver_address) if endpoints.receiver_port else None
        )
        self._pending: dict[str, float] = {}
        self._firing: dict[str, float] = {}
        self._errors: list[str] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alert-watch", daemon=True)

    def __enter__(self) -> AlertWatch:
        if self.receiver is not None:
            self.receiver.__enter__()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self.receiver is not None:
            self.receiver.__exit__(kind, exc, tb)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                alerts = self.client.alerts()
            except OpsreadyError as exc:
                with self._changed:
                    self._errors.append(f"{time.monotonic():.1f}: {exc.message}")
            else:
                seen, offset = time.monotonic(), time.time() - time.monotonic()
                with self._changed:
                    for alert in alerts:
                        if alert.name not in self.names:
                            continue
                        if alert.active_at is not None and alert.name not in self._pending:
                            self._pending[alert.name] = alert.active_at.timestamp() - offset
                        if alert.state == "firing" and alert.name not in self._firing:
                            self._firing[alert.name] = seen
                    self._changed.notify_all()
            self._stop.wait(self.poll)

    def times(self) -> tuple[AlertTimes, ...]:
        """What has been observed so far, one entry per watched alert."""
        delivered: dict[str, float] = {}
        for delivery in self.receiver.deliveries() if self.receiver is not None else ():
            for alert in delivery.alerts:
                if alert.status == "firing" and alert.name in self.names:
                    delivered.setdefault(alert.name, delivery.received)
        with self._changed:
            return tuple(AlertTimes(n, self._pending.get(n), self._firing.get(n), delivered.get(n)) for n in self.names)

    def delivered_alert(self, name: str) -> DeliveredAlert | None:
        """The first firing alert named ``name`` that Alertmanager delivered (its labels and annotations)."""
        for delivery in self.receiver.deliveries() if self.receiver is not None else ():
            for alert in delivery.alerts:
                if alert.status == "firing" and alert.name == name:
                    return alert
        return None

    def errors(self) -> tuple[str, ...]:
        """Polls that failed (Prometheus unreachable or refusing): a gap in what could be observed."""
        with self._changed:
            return tuple(self._errors)

    def wait_firing(self, deadline: float) -> AlertTimes | None:
        """The first watched alert to fire, waiting until monotonic ``deadline``; None when none fired by then."""
        with self._changed:
            while True:
                fired = sorted((at, name) for name, at in self._firing.items())
                if fired:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(min(remaining, self.poll))
        name = fired[0][1]
        return next(t for t in self.times() if t.name == name)

    def wait_delivered(self, name: str, deadline: float) -> float | None:
        """When Alertmanager's page for ``name`` arrived, waiting until monotonic ``deadline``; None when it did not."""
        if self.receiver is None:
            return None
        delivery = self.receiver.wait_for(name, timeout=max(0.0, deadline - time.monotonic()))
        return None if delivery is None else delivery.received
