"""The fleet's subnet is one nobody on the machine uses, also when two fleets are built at the same moment."""

from __future__ import annotations

import ipaddress
import threading

import pytest

from . import network
from .fleet import Fleet
from .needs import fleet_unavailable


def test_pick_subnet_avoids_every_network_in_use() -> None:
    """With all candidates but one overlapped (some by a wider network), that one is picked; with none, an error."""
    candidates = [ipaddress.IPv4Network(c) for c in network.CANDIDATES]
    taken = [ipaddress.IPv4Network("10.0.0.0/8"), *candidates[len(candidates) // 2 : -1]]
    for _ in range(20):  # the order is shuffled: every draw must land on the one free candidate
        assert network.pick_subnet(taken) == candidates[-1]
    with pytest.raises(RuntimeError, match="every candidate subnet"):
        network.pick_subnet([*taken, candidates[-1]])


def test_networks_in_use_include_this_machines_addresses_and_routes() -> None:
    """The scan sees loopback (an address) and every route but the default one."""
    nets = network.networks_in_use()
    assert ipaddress.IPv4Network("127.0.0.0/8") in nets
    assert ipaddress.IPv4Network("0.0.0.0/0") not in nets, "the default route overlaps everything: not counted"


@pytest.mark.hosts
@pytest.mark.skipif(bool(fleet_unavailable()), reason=f"no test fleet: {fleet_unavailable()}")
def test_two_fleets_built_at_once_take_different_subnets() -> None:
    """Two builds racing each other each take a subnet of their own, and both fleets serve."""
    fleets = [Fleet(), Fleet()]
    errors: list[BaseException] = []

    def build(fleet: Fleet) -> None:
        try:
            fleet.build()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(f,)) for f in fleets]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        first, second = (f.subnet for f in fleets)
        assert first is not None and second is not None and not first.overlaps(second)
        assert all(f.balancer.servers()["app1"].up for f in fleets)
    finally:
        assert [f.teardown() for f in fleets] == [[], []]
