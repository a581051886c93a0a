"""The webhook receiver Alertmanager pages: records each delivery with the monotonic time it arrived.

Alertmanager's webhook (payload version 4) posts a group of alerts with their status. The receiver answers 200 to
every well-formed post and keeps what arrived, so a drill can put "paged" on its timeline from what was observed,
never from what was expected. It listens on loopback only, in a thread of the process that reads it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from opsready.errors import EnvironmentProblem

MAX_BODY = 1 << 20


@dataclass(frozen=True)
class DeliveredAlert:
    """One alert of a delivery."""

    name: str
    status: str  # firing | resolved
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Delivery:
    """One post from Alertmanager: when it arrived (monotonic and wall clock) and its alerts."""

    received: float
    received_wall: float
    receiver: str
    status: str
    alerts: tuple[DeliveredAlert, ...]


def parse_delivery(body: bytes, received: float, received_wall: float) -> Delivery:
    """A webhook payload as a :class:`Delivery`; ValueError when it is not one."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
        raise ValueError("not an Alertmanager webhook payload (no 'alerts' list)")
    alerts = []
    for item in data["alerts"]:
        labels = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
        annotations = {str(k): str(v) for k, v in (item.get("annotations") or {}).items()}
        alerts.append(
            DeliveredAlert(
                name=labels.get("alertname", ""),
                status=str(item.get("status", "")),
                labels=tuple(sorted(labels.items())),
                annotations=tuple(sorted(annotations.items())),
            )
        )
    return Delivery(received, received_wall, str(data.get("receiver", "")), str(data.get("status", "")), tuple(alerts))


class AlertReceiver:
    """An HTTP server taking Alertmanager's webhook posts (use as a context manager), on loopback unless a target's
    ``receiver_address`` says where its Alertmanager reaches this machine."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> AlertReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received, wall = time.monotonic(), time.time()
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    self.send_error(400, "expected a JSON body")
                    return
                try:
                    delivery = parse_delivery(self.rfile.read(length), received, wall)
                except ValueError as exc:
                    self.send_error(400, str(exc)[:200])
                    return
                receiver._record(delivery)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # the base's name
                return

        try:
            self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot receive alerts on {self.host}:{self.port}: {exc.strerror}") from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="alert-receiver", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _record(self, delivery: Delivery) -> None:
        with self._arrived:
            self._deliveries.append(delivery)
            self._arrived.notify_all()

    @property
    def url(self) -> str:
        """Where Alertmanager posts."""
        return f"http://{self.host}:{self.port}/alerts"

    def deliveries(self) -> tuple[Delivery, ...]:
        """Every delivery so far, oldest first."""
        with self._arrived:
            return tuple(self._deliveries)

    def wait_for(self, alert: str, status: str = "firing", timeout: float = 60.0) -> Delivery | None:
        """The first delivery holding ``alert`` with ``status``, waiting up to ``timeout`` s; None when none came."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for delivery in self._deliveries:
                    if any(a.name == alert and a.status == status for a in delivery.alerts):
                        return delivery
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._arrived.wait(remaining)
