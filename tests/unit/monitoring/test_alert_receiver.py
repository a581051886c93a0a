"""The webhook receiver Alertmanager pages: real HTTP posts on loopback, recorded with their arrival time."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from opsready.errors import EnvironmentProblem
from opsready.monitoring.client import MonitoringEndpoints
from opsready.monitoring.receiver import AlertReceiver
from opsready.monitoring.watch import AlertWatch
from opsready.processes import free_port

PAYLOAD = {
    "version": "4",
    "receiver": "opsready",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "OrdersServiceDown", "severity": "critical", "job": "api"},
            "annotations": {"runbook": "incident-service-down"},
            "startsAt": "2026-12-02T14:00:00Z",
        }
    ],
}


def test_a_delivery_is_kept_with_its_arrival_time() -> None:
    """A post of Alertmanager's payload is answered 200 and found by wait_for, stamped between send and answer."""
    with AlertReceiver(free_port()) as receiver:
        before = time.monotonic()
        response = httpx.post(receiver.url, content=json.dumps(PAYLOAD), timeout=5)
        after = time.monotonic()
        assert response.status_code == 200
        delivery = receiver.wait_for("OrdersServiceDown", timeout=5)
    assert delivery is not None
    assert before <= delivery.received <= after
    alert = delivery.alerts[0]
    assert dict(alert.labels)["severity"] == "critical"
    assert dict(alert.annotations)["runbook"] == "incident-service-down"


def test_no_delivery_is_none_not_a_guess() -> None:
    """Waiting for an alert that never came returns None after the timeout (and a resolved one is not firing)."""
    with AlertReceiver(free_port()) as receiver:
        resolved = {**PAYLOAD, "alerts": [{**PAYLOAD["alerts"][0], "status": "resolved"}]}  # type: ignore[dict-item]
        httpx.post(receiver.url, content=json.dumps(resolved), timeout=5)
        assert receiver.wait_for("OrdersServiceDown", timeout=0.3) is None
        assert receiver.wait_for("OrdersServiceDown", status="resolved", timeout=1) is not None


def test_a_post_that_is_no_payload_is_refused() -> None:
    """Not Alertmanager's payload: HTTP 400, nothing recorded."""
    with AlertReceiver(free_port()) as receiver:
        assert httpx.post(receiver.url, content=b'{"text": "hi"}', timeout=5).status_code == 400
        assert receiver.deliveries() == ()


def test_a_taken_port_is_an_environment_problem() -> None:
    """Two receivers on one port: the second says which port."""
    port = free_port()
    with AlertReceiver(port), pytest.raises(EnvironmentProblem, match=f"127.0.0.1:{port}"), AlertReceiver(port):
        pass


def test_a_watch_listens_where_the_target_says_and_keeps_the_delivered_alert() -> None:
    """A target's receiver_address (here another loopback address, 127.0.0.2) is where the watch's receiver listens:
    Alertmanager's post there is kept with its labels; the default address does not answer."""
    port = free_port()
    endpoints = MonitoringEndpoints("http://127.0.0.1:1", "http://127.0.0.1:1", port, "127.0.0.2")
    with AlertWatch(endpoints, ("OrdersServiceDown",), poll=5.0) as watch:
        assert httpx.post(f"http://127.0.0.2:{port}/", content=json.dumps(PAYLOAD), timeout=5).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"http://127.0.0.1:{port}/", content=json.dumps(PAYLOAD), timeout=5)
        alert = watch.delivered_alert("OrdersServiceDown")
    assert alert is not None and dict(alert.labels)["severity"] == "critical"
