"""How ``make test`` lays out the tests that drive real sandboxes: a pytest plugin, loaded with ``-p tests.layout``.

It also checks that the run leaves no PostgreSQL data behind in ``/var/tmp`` (see :func:`pytest_sessionfinish`).

Several sandboxes run at once (make test uses four), one per pytest-xdist worker: each worker keeps its state
under its own directory (``$OPSREADY_STATE_DIR/<worker>``) and its sandboxes take free ports
(``OPSREADY_PORTS=auto``). A few tests would measure or disturb the other sandboxes' work: they run afterwards, alone
(``--layout-pass serial``), and the parallel pass leaves them out (``--layout-pass parallel``). Without the option
every test runs, as with plain ``pytest``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opsready.sandbox import pgroot
from opsready.sandbox.layout import OUTSIDE_PG_PARENT, OUTSIDE_PG_PREFIX

PASSES = ("all", "parallel", "serial")
TARGET_TESTS = ("steps/", "tests/integration/", "tests/fleet/")  # the tests that drive real sandboxes or the fleet

# (text in the test ID, why the test runs alone)
SERIAL = (
    ("[cpu-hog-", "a CPU hog takes every core of the machine"),
    ("[memory-pressure-", "memory pressure holds gigabytes of the machine's memory"),
    ("-resources]", "its fault set holds a CPU hog and memory pressure"),
    ("steps/test_capacity.py::", "it measures throughput and latency under load, which another sandbox would share"),
    ("::test_added_latency_", "the diagnosis apportions a user's wait by timing; a busy machine blurs the parts"),
    # a healthy diagnosis asks once whether a process group outside the target wants more cores than the host has:
    # beside three other sandboxes and their tests it does (make test once found its own run wanting 6.8 of 2 cores)
    ("::test_a_healthy_system_diagnoses_as_healthy", "a healthy diagnosis reads the whole machine's CPU demand"),
    ("::test_a_healthy_sandbox_diagnoses_healthy", "a healthy diagnosis reads the whole machine's CPU demand"),
    ("test_proxy_reconcile.py::", "it restarts proxies and races their start against the reconcile's journal"),
    ("fleet/test_rolling.py::", "it holds 64 requests/s through the fleet's balancer and times a release's decay"),
    ("fleet/test_rolling_failures.py::", "it counts users' failed requests through the fleet's balancer in a rollback"),
    ("fleet/test_rolling_promql.py::", "it judges batches from users' error ratio through the balancer, under load"),
    ("fleet/test_host_resource_faults.py::", "a fleet host's CPU hog and memory pressure take the machine's own"),
    ("fleet/test_gameday_hosts.py::", "it times detection and recovery under background load through the balancer"),
    ("fleet/test_tutorial.py::", "its gate counts users' failed requests through the balancer; it times a game day"),
)

# The longest files (a minute or more each), started first so that at the end no worker is left alone with one of
# them (a file stays on one worker: its scenarios share that worker's sandbox, in order). The monitoring modules (1.5-3
# minutes each) mostly wait for an alert's production `for:` (1 minute); each is followed by a long file that keeps
# the CPU busy meanwhile. make test passes --no-loadscope-reorder: without it xdist sends the files with the most
# tests first whatever this order says (it did, and the monitoring modules, which have few, ran last and alone).
FIRST = (
    "tests/integration/monitoring/test_monitored_drills.py::",
    "steps/test_troubleshooting.py::",
    "tests/integration/monitoring/test_sandbox_monitoring.py::",
    "steps/test_incident_response.py::",
    "tests/integration/monitoring/test_maintenance_silences.py::",
    "tests/integration/gameday/",
    "tests/integration/monitoring/test_monitored_scenario.py::",
    "tests/integration/candidate/",
    "tests/integration/monitoring/",
)


# In the serial pass, the capacity measurements go first: on a machine no CPU hog or memory pressure has just left
# (CI once measured the planned load's p95 at 1 s, POST /orders 1.15 s, GET /products 4 ms, right after the
# troubleshooting hogs; what held the writes was not established)
SERIAL_FIRST = ("steps/test_capacity.py::",)


def serial_reason(nodeid: str) -> str | None:
    """Why the test with this ID runs alone in the serial pass, or None when it may share the machine."""
    if not nodeid.startswith(TARGET_TESTS):
        return None
    return next((why for text, why in SERIAL if text in nodeid), None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--layout-pass``: which of make test's passes this run is."""
    parser.addoption(
        "--layout-pass",
        dest="layout_pass",
        choices=PASSES,
        default="all",
        help="parallel: leave out the tests that must run alone; serial: only those; all: every test (default)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Give this process its own sandbox state directory: one per xdist worker, one for the serial pass."""
    base = os.environ.get("OPSREADY_STATE_DIR")
    if base:
        name = os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("layout_pass")
        os.environ["OPSREADY_STATE_DIR"] = str(Path(base) / name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests of this pass, longest files first (the same on every worker: it depends on test IDs only)."""
    which = config.getoption("layout_pass")
    if which == "all":
        return
    items.sort(key=lambda item: next((i for i, start in enumerate(FIRST) if item.nodeid.startswith(start)), len(FIRST)))
    if which == "serial":
        items.sort(key=lambda item: not item.nodeid.startswith(SERIAL_FIRST))
    keep = [item for item in items if (serial_reason(item.nodeid) is not None) == (which == "serial")]
    if len(keep) < len(items):
        kept = {id(item) for item in keep}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = keep


_OUTSIDE_BEFORE = pytest.StashKey[set[Path]]()


def _outside_pg_roots() -> set[Path]:
    return set(OUTSIDE_PG_PARENT.glob(f"{OUTSIDE_PG_PREFIX}*"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note the PostgreSQL data directories outside state directories before the run (once, not per worker)."""
    if not hasattr(session.config, "workerinput"):
        session.config.stash[_OUTSIDE_BEFORE] = _outside_pg_roots()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it leaves PostgreSQL data in /var/tmp: a new directory owned by a state directory of
    this run's tmp, or by one that no longer exists (directories of other runs on the machine are theirs)."""
    config = session.config
    before = config.stash.get(_OUTSIDE_BEFORE, None)
    if before is None:
        return
    basetemp = config._tmp_path_factory.getbasetemp().resolve()  # xdist workers' basetemps lie below it
    left = []
    for root in sorted(_outside_pg_roots() - before):
        owner = pgroot.read_marker(root)
        if owner is not None and (owner.state_dir.is_relative_to(basetemp) or not owner.state_dir.exists()):
            left.append(f"{root} (state directory {owner.state_dir})")
    if left:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        lines = ["PostgreSQL data left behind by this run (purge what a test makes: down(purge=True)):", *left]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
