"""Load runs and capacity operations against a real sandbox: every request counted, no locust process left behind
(checked by pid), SIGTERM of the harness stops the load, and scaling and link latency really change the sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opsready.capacity.profiles import LoadProfile
from opsready.capacity.runner import LoadRun
from opsready.config import load_config
from opsready.drills.links import SlowLinks
from opsready.errors import UsageError
from opsready.processes import session_members
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.capacity import workers
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.proxy import control
from opsready.targets.capacity import resource_use

pytestmark = [pytest.mark.sandbox, pytest.mark.capacity]
ROOT = Path(__file__).resolve().parents[3]
LOCUSTFILE = ROOT / "loadtests/locustfile.py"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxTarget]:
    """One sandbox for the module, on free ports."""
    sandbox = Sandbox(SandboxOptions(state_dir=tmp_path_factory.mktemp("capacity") / "state", ports="auto"))
    try:
        sandbox.up()
        yield SandboxTarget("sandbox", sandbox)
    finally:
        sandbox.down(purge=True)


def by_endpoint(samples: object) -> dict[str, int]:
    """Requests per endpoint."""
    counts: dict[str, int] = {}
    for s in samples:  # type: ignore[attr-defined]
        counts[s.endpoint] = counts.get(s.endpoint, 0) + 1
    return counts


def test_a_run_counts_every_request_and_leaves_no_process(target: SandboxTarget, tmp_path: Path) -> None:
    """Run to its end: samples match locust's own counts per endpoint; users got the paced rate; session empty."""
    profile = LoadProfile("smoke", users=4, spawn_rate=4, duration=4, pacing=5.0, warmup=1.0)
    before = target.resource_usage()
    with LoadRun(profile, target.base_url, tmp_path, LOCUSTFILE) as run:
        result = run.wait()
    after = target.resource_usage()
    assert result.ended_by == "run-time" and result.exit_code == 0
    assert run.pid is not None and session_members(run.pid) == []
    assert by_endpoint(result.samples) == {e.endpoint: e.requests for e in result.locust}
    assert result.users_stopped is not None and not any(s.failed for s in result.samples)
    # paced users never exceed their rate; a busy machine may slow the load generator itself, so no tight lower bound
    assert 0.7 * 20.0 <= result.stats().total.rps <= 1.05 * 20.0
    use = resource_use(before, after)
    assert use.service_cpu_cores > 0 and use.units == 2


def _sending(workdir: Path) -> list[Path]:
    """Sample files of locust processes that have recorded at least one request."""
    files = workdir.glob("samples-*.csv")
    return [p for p in files if any(not line.startswith("#") for line in p.read_text().splitlines())]


def test_stopping_early_with_two_locust_processes(target: SandboxTarget, tmp_path: Path) -> None:
    """Two local locust workers both send load; stop() writes the statistics and no process of either survives."""
    profile = LoadProfile("two", users=4, spawn_rate=4, duration=60, pacing=5.0, workers=2)
    run = LoadRun(profile, target.base_url, tmp_path, LOCUSTFILE).start()
    try:
        deadline = time.monotonic() + 30
        while len(_sending(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_sending(tmp_path)) == 2, "both locust processes should have recorded requests"
        assert run.pid is not None
        members = session_members(run.pid)
        assert len(members) == 3, f"expected a master and 2 workers, found {members}"
        time.sleep(1.0)
    finally:
        result = run.stop()
    assert result.ended_by == "stop" and result.locust, "locust wrote no statistics on SIGTERM"
    assert all(not os.path.exists(f"/proc/{pid}") for pid in members)
    assert by_endpoint(result.samples) == {e.endpoint: e.requests for e in result.locust}


def test_max_requests_bounds_a_run(target: SandboxTarget, tmp_path: Path) -> None:
    """A run is also bounded by its request count."""
    profile = LoadProfile("bounded", users=4, spawn_rate=4, duration=60, pacing=10.0, max_requests=30)
    started = time.monotonic()
    with LoadRun(profile, target.base_url, tmp_path, LOCUSTFILE) as run:
        result = run.wait()
    # the count is read from the samples locust flushes every half second, so the stop comes up to a second late:
    # a few more requests, never an unbounded run
    assert result.ended_by == "max_requests" and 30 <= len(result.samples) < 2 * 30
    assert run.pid is not None and time.monotonic() - started < 20 and session_members(run.pid) == []


HARNESS = """
import sys, time
from pathlib import Path
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.runner import LoadRun
run = LoadRun(LoadProfile("long", users=2, spawn_rate=2, duration=120, pacing=5.0), sys.argv[1], Path(sys.argv[2]),
              Path(sys.argv[3])).start()
print(run.pid, flush=True)
try:
    time.sleep(120)
finally:
    print("unwound", flush=True)
"""


def test_sigterm_to_the_harness_stops_the_load(target: SandboxTarget, tmp_path: Path) -> None:
    """The harness gets SIGTERM: locust (in its own session) is stopped, the harness unwinds and exits."""
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS, target.base_url, str(tmp_path), str(LOCUSTFILE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert harness.stdout is not None
        locust = int(harness.stdout.readline())
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("samples-*.csv")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session_members(locust), "locust is not running"
        harness.send_signal(signal.SIGTERM)
        out, err = harness.communicate(timeout=30)
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
    assert "unwound" in out, err
    assert harness.returncode != 0 and session_members(locust) == []
    assert json.loads((tmp_path / "stats.json").read_text()), "SIGTERM should leave locust's statistics"


def test_resource_usage_covers_every_program(target: SandboxTarget) -> None:
    """Each supervised program has processes, CPU time and memory; the api has a master plus one per unit."""
    snapshot = target.resource_usage()
    names = {c.name for c in snapshot.components}
    assert {"api", "edge", "worker"} <= names and snapshot.service == "api"
    api = snapshot.component("api")
    assert api.processes == snapshot.units + 1 == target.capacity_units() + 1
    assert all(c.rss_bytes > 0 and c.cpu_seconds > 0 for c in snapshot.components)


def test_scaling_adds_and_retires_gunicorn_workers(target: SandboxTarget) -> None:
    """TTIN/TTOU through supervisord: the worker count follows, and the service keeps answering."""
    master = int(target.sandbox.supervisor().info("api")["pid"])
    assert target.scale(4) == 4 and len(workers(master)) == 4
    try:
        assert httpx.get(f"{target.base_url}/readyz", timeout=5).status_code == 200
    finally:
        assert target.scale(2) == 2
    assert len(workers(master)) == 2
    with pytest.raises(UsageError, match="1 to 16 workers"):
        target.scale(0)


def test_latency_on_a_link_is_applied_and_cleared(
    target: SandboxTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 ms on the users' link slows a request by that much; cleared, it is fast again. The database link too."""
    state = target.sandbox.layout.state
    config_file = tmp_path / "opsready.yaml"
    config_file.write_text(
        f"version: 1\nprofile: {ROOT / 'profiles' / 'orders.yaml'}\n"
        f"targets:\n  sandbox:\n    platform: sandbox\n    state_dir: {state}\n    ports: auto\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("OPSREADY_STATE_DIR", str(state))  # what the latency's dead-man watchdog inherits

    def timed(method: str, path: str) -> float:
        started = time.monotonic()
        response = httpx.request(method, f"{target.base_url}{path}", json={"item": "tea", "quantity": 1}, timeout=10)
        assert response.status_code < 500
        return time.monotonic() - started

    def toxics(proxy: str) -> tuple[object, ...]:
        state_file = target.sandbox.layout.proxies / f"{proxy}.json"
        return control.read_status(control.status_path(state_file)).toxics

    with SlowLinks(load_config(config_file), target, say=lambda _: None) as links:
        links.slow("users", 300, "downstream")
        assert timed("GET", "/products") >= 0.3
        links.restore("users")
        assert toxics("edge") == ()  # a lower bound on time is robust on a busy machine; an upper one is not
        links.slow("database", 100, "downstream")
        assert [t.latency_ms for t in toxics("db")] == [100]  # type: ignore[attr-defined]
        assert timed("POST", "/orders") >= 0.1
    assert toxics("db") == ()
    with pytest.raises(UsageError, match="unknown link"):
        target.latency_fault("moon", 10)
