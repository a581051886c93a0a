"""HAProxy in front of the app hosts, drained and restored through its runtime API."""

from __future__ import annotations

import urllib.request
from collections import Counter

import pytest

from .fleet import Fleet

pytestmark = pytest.mark.hosts


def served_by(fleet: Fleet, requests: int) -> Counter[str]:
    """Which app host answered each of ``requests`` requests through the balancer."""
    answers: Counter[str] = Counter()
    for _ in range(requests):
        with urllib.request.urlopen(fleet.balancer_url, timeout=5) as response:
            answers[response.read().decode().strip()] += 1
    return answers


def test_balancer_spreads_requests_over_both_app_hosts(fleet: Fleet) -> None:
    """Round robin through HAProxy reaches app1 and app2 alike, and never the database host."""
    assert served_by(fleet, 10) == Counter({"app1": 5, "app2": 5})


@pytest.mark.parametrize("state", ["drain", "maint"])
def test_a_drained_server_gets_no_new_requests(fleet: Fleet, state: str) -> None:
    """``set server app/app1 state drain|maint`` takes app1 out of rotation; ``ready`` puts it back."""
    api = fleet.balancer
    assert api.servers()["app1"].state == "ready"
    api.set_state("app1", state)  # type: ignore[arg-type]
    try:
        assert api.servers()["app1"].state == state
        assert served_by(fleet, 8) == Counter({"app2": 8})
    finally:
        api.set_state("app1", "ready")
    assert api.servers()["app1"].state == "ready"
    assert set(served_by(fleet, 4)) == {"app1", "app2"}


def test_runtime_api_refuses_an_unknown_server(fleet: Fleet) -> None:
    """A typo in a server name is an error from HAProxy, not a silent no-op."""
    with pytest.raises(RuntimeError, match="No such server"):
        fleet.balancer.set_state("app9", "drain")
