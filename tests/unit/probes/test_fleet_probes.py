"""The fleet probes' verdicts (instances serving, host resources) and what a target can or cannot answer: from
diagnostics that report given readings, and the hosts adapter's parser on real command output."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from opsready.hosts.diagnostics import NOT_HERE, parse_resources
from opsready.incident.measures import MEASURES
from opsready.probes.fleet import host_resources, instances_serving, serving_instances
from opsready.probes.registry import PROBES
from opsready.targets.diagnostics import DiskUse, HostResources, InstanceHealth, unmet

GIB = 2**30
DF = """\
2
0.52 0.40 0.30 1/200 4242
MemTotal:        8000000 kB
MemAvailable:    2000000 kB
Filesystem     1-blocks       Used  Available Capacity Mounted on
/dev/vda   100000000000 95000000000 5000000000      95% /
/dev/vdb   100000000000 10000000000 90000000000     10% /srv/app
"""


@dataclass
class Readings:
    """Diagnostics that answer with given readings (the HostDiagnostics and ScopedDiagnostics protocols)."""

    instances: tuple[InstanceHealth, ...] = ()
    hosts: tuple[HostResources, ...] = ()
    lacks: tuple[tuple[str, str], ...] = field(default_factory=lambda: NOT_HERE)

    def instance_health(self) -> tuple[InstanceHealth, ...]:
        return self.instances

    def host_resources(self) -> tuple[HostResources, ...]:
        return self.hosts

    def not_applicable(self) -> tuple[tuple[str, str], ...]:
        return self.lacks


@dataclass
class Fleetish:
    """A target that offers those diagnostics."""

    readings: Readings
    name: str = "fleet"
    platform: str = "hosts"

    def diagnostics(self) -> Readings:
        return self.readings


def up(host: str) -> InstanceHealth:
    return InstanceHealth(host, "web", f"http://{host}:8080", True, True, "2")


def host(name: str, load1: float = 0.5, available: int = 4 * GIB, used: float = 0.3) -> HostResources:
    return HostResources(name, True, 2, load1, 8 * GIB, available, (DiskUse("/", used, GIB),))


def test_every_instance_serving_passes_and_one_down_is_named_with_its_host() -> None:
    """Healthy and ready everywhere: ok. One refused: 'unhealthy', naming its host, instance and URL, and the count."""
    target = Fleetish(Readings(instances=(up("app1"), up("app2"))))
    assert instances_serving(target).ok  # type: ignore[arg-type]
    down = InstanceHealth("app1", "web", "http://app1:8080", False, False, "", "/healthz: refused")
    seen = instances_serving(Fleetish(Readings(instances=(down, up("app2")))))  # type: ignore[arg-type]
    assert (seen.ok, seen.value) == (False, "unhealthy")
    assert seen.detail == "app1 (web at http://app1:8080): not healthy (/healthz: refused) (1 of 2 serving)"
    unready = InstanceHealth("app2", "web", "http://app2:8080", True, False, "2", "/readyz: 503")
    assert instances_serving(Fleetish(Readings(instances=(up("app1"), unready)))).value == "unready"  # type: ignore[arg-type]


def test_the_share_of_serving_instances_is_a_value_a_classification_ranges_over() -> None:
    """1 of 2 serving: 50 %, failing, naming the one down; all: 100 %, passing; a lower share is worse."""
    down = InstanceHealth("app1", "web", "http://app1:8080", False, False, "", "/healthz: refused")
    half = serving_instances(Fleetish(Readings(instances=(down, up("app2")))))  # type: ignore[arg-type]
    assert (half.ok, half.value, half.unit) == (False, 50.0, "%")
    assert half.detail.startswith("app1 (web at http://app1:8080): not healthy")
    assert serving_instances(Fleetish(Readings(instances=(up("app1"), up("app2"))))).value == 100.0  # type: ignore[arg-type]
    measure = MEASURES["serving_instances"]
    assert (measure.worse, measure.value(half)) == ("lower", 0.5)


@pytest.mark.parametrize(
    ("reading", "answer"),
    [
        (HostResources("db", False, detail="connection refused"), "unreachable"),
        (host("db", load1=7.0), "load"),
        (host("db", available=GIB // 2), "memory"),
        (host("db", used=0.95), "disk"),
    ],
)
def test_host_resources_answers_how_a_host_fails(reading: HostResources, answer: str) -> None:
    """Each limit, crossed on the db host alone, gives its answer and names that host."""
    seen = host_resources(Fleetish(Readings(hosts=(host("app1"), reading))), max_load=2.0)  # type: ignore[arg-type]
    assert (seen.ok, seen.value) == (False, answer)
    assert str(seen.detail).startswith("db: ")


def test_host_resources_within_limits_pass_and_show_each_host() -> None:
    seen = host_resources(Fleetish(Readings(hosts=(host("app1"), host("db")))))  # type: ignore[arg-type]
    assert seen.ok
    assert "app1: load 0.25/core, 50% memory free, / 30% used" in seen.detail


def test_the_hosts_parser_reads_cores_load_memory_and_each_path() -> None:
    """nproc, /proc/loadavg, meminfo and df -P -B1 as a Debian host prints them; garbage is 'unreachable' with why."""
    read = parse_resources("app1", ("/", "/srv/app/releases"), DF)
    assert (read.reachable, read.cores, read.load1) == (True, 2, 0.52)
    assert (read.memory_total, read.memory_available) == (8000000 * 1024, 2000000 * 1024)
    assert [(d.path, round(d.used_share, 2)) for d in read.disks] == [("/", 0.95), ("/srv/app/releases", 0.1)]
    broken = parse_resources("app1", ("/",), "nproc: not found\n")
    assert not broken.reachable and "unreadable" in broken.detail


def test_what_a_fleet_cannot_answer_is_named_and_what_a_machine_lacks_too() -> None:
    """A fleet lacks the sandbox's process states (with its reason) and has instances on hosts; a target without
    diagnostics lacks both, while probes that only use HTTP stay applicable to it."""
    fleet = Fleetish(Readings())
    assert unmet(fleet, PROBES["component"].needs) == (
        "processes: component processes are read on the machine the target runs on; hosts are reached over SSH",
    )
    assert unmet(fleet, PROBES["instances_serving"].needs) == ()

    @dataclass
    class Bare:
        platform: str = "bare"

    assert unmet(Bare(), PROBES["instances_serving"].needs) == (
        "instance-health: platform 'bare' offers no troubleshooting diagnostics",
    )
    assert unmet(Bare(), PROBES["readiness"].needs) == ()
    assert unmet(Bare(), PROBES["availability"].needs) == ()
