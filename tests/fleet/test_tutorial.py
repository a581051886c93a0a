"""docs/your-service.md followed literally on the test fleet: from an empty directory, its commands run with the
installed ``opsready`` (the project's virtualenv) and its files written, with only the example values the document
tells the reader to replace swapped for the fleet's. Any command that fails, a block that goes stale (a file the
reader writes that the package no longer accepts, an output the document shows that the command no longer prints),
or a gate or game day that is not READY fails the test.

The service is the fleet's own tiny HTTP app (``/healthz``, ``/readyz``, ``/version``, ``/``, ``/work``), not the
orders service: no ``/orders`` path and no ``opsready_*`` metric anywhere in what the reader writes or the reports.
The test prints each command's time and the time from the empty directory to the green gate (commands only)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fleet import Fleet
from .host_faults import leftovers
from .machine import INITIAL_RELEASE, RELEASES, SUPERVISOR_BIN, SUPERVISOR_CONF, WEB_PORT
from .rolling_load import reset
from .target import fleet_yaml, open_fleet_target
from .tutorial import DOCUMENT, environment, follow, read_report, steps

pytestmark = pytest.mark.hosts
CANDIDATE = RELEASES[1]


def replacements(fleet: Fleet) -> dict[str, str]:
    """What the document's table says the reader replaces, and the fleet's values for it."""
    return {
        "deploy@app1.example.com": fleet.spec("app1").removeprefix("ssh://").removesuffix(":22"),
        "deploy@app2.example.com": fleet.spec("app2").removeprefix("ssh://").removesuffix(":22"),
        "app1.example.com": "app1",
        "10.0.0.11": fleet.hosts["app1"].address,
        "10.0.0.12": fleet.hosts["app2"].address,
        "./ssh/known_hosts": str(fleet.known_hosts),
        "./ssh/ssh_config": str(fleet.ssh_config),
        "/usr/bin/supervisorctl": str(SUPERVISOR_BIN / "supervisorctl"),
        "/etc/supervisor/supervisord.conf": SUPERVISOR_CONF,
        "https://staging.example.com/": fleet.balancer_url,
        "/run/haproxy/admin.sock": str(fleet.balancer.path),
        "2.4.0": INITIAL_RELEASE,
        "2.4.1": CANDIDATE,
    }


@pytest.fixture
def fleet_at_start(fleet: Fleet, tmp_path: Path) -> Iterator[Fleet]:
    """The fleet serving its first release with no history, every server in rotation; put back so after."""
    (tmp_path / "reset").mkdir()
    target = open_fleet_target(fleet, tmp_path / "reset", fleet_yaml(fleet))
    try:
        reset(fleet, target)
        yield fleet
    finally:
        try:
            reset(fleet, target)
        finally:
            target.close()


def test_the_tutorial_takes_an_empty_directory_to_a_green_candidate_gate_and_a_first_game_day(
    fleet_at_start: Fleet, tmp_path: Path
) -> None:
    """Every block of docs/your-service.md in order; the gate READY with the candidate serving after it, the game
    day READY with its stages, no /orders and no opsready_* metric in anything written, nothing left on the fleet."""
    fleet = fleet_at_start
    values = replacements(fleet)
    document = DOCUMENT.read_text(encoding="utf-8")
    stale = [old for old in values if old not in document]
    assert not stale, f"docs/your-service.md no longer names {stale}: update the test's replacements"
    followed = steps(DOCUMENT)
    kinds = [s.kind for s in followed]
    assert kinds[0] == "installed" and kinds.count("run") >= 5 and kinds.count("write") >= 2, kinds
    home = tmp_path / "empty"
    home.mkdir()
    after_gate: list[float] = []

    def check(command: str, cwd: Path, seconds: float) -> None:
        if " gate " in f" {command} ":
            after_gate.append(seconds)
            _gate_was_green(cwd, fleet)

    cwd, timings = follow(followed, home, environment(tmp_path), values, check)
    to_gate = after_gate[0] if after_gate else None
    assert to_gate is not None, "the document never runs the gate"
    _game_day_was_green(cwd)
    _not_the_orders_service(cwd)
    assert not leftovers(fleet), leftovers(fleet)
    total = sum(seconds for _, seconds in timings)
    for command, seconds in timings:
        print(f"{seconds:7.1f} s  {command}")
    print(f"tutorial on the fleet: empty directory to a green gate {to_gate:.1f} s, to the end {total:.1f} s")


def _gate_was_green(suite: Path, fleet: Fleet) -> None:
    """READY: the candidate's deployment and its rollback rehearsal passed, the host state passed, the synthetic
    flaw skipped as declared; the candidate serves on every app host."""
    report = read_report(suite)
    assert (report["kind"], report["verdict"]) == ("gate", "ready"), report["verdict"]
    outcomes = {s["name"]: s["outcome"] for s in report["scenarios"]}
    assert outcomes == {
        "The candidate is deployed by the runbook under traffic": "passed",
        "The candidate is rolled back to the previous release and forward again": "passed",
        "A synthetic flaw on the candidate is ended by the real rollback": "skipped",
        "The hosts are in the expected state [local]": "passed",  # testinfra's host parameter
    }, outcomes
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for name in ("app1", "app2"):
        with direct.open(f"http://{fleet.hosts[name].address}:{WEB_PORT}/version", timeout=10) as answer:
            serving = answer.read().decode().strip()
        assert serving == CANDIDATE, f"{name} serves {serving!r} after a READY gate"


def _game_day_was_green(suite: Path) -> None:
    """The game day's report: READY, one scenario passed with every stage; the history holds the gate and it."""
    report = read_report(suite)
    assert (report["kind"], report["verdict"]) == ("gameday", "ready"), report
    (scenario,) = report["scenarios"]
    assert scenario["outcome"] == "passed", scenario["message"]
    kinds = {e["kind"] for e in scenario["timeline"]["events"]}
    assert {"injected", "detected", "classified", "acknowledged", "mitigated", "recovered"} <= kinds, kinds
    history = [json.loads(line) for line in (suite / "reports" / "history.jsonl").read_text().splitlines() if line]
    assert [(h["kind"], h["verdict"]) for h in history] == [("gate", "ready"), ("gameday", "ready")], history


def _not_the_orders_service(suite: Path) -> None:
    """Nothing the reader wrote, and no report, names the orders service's paths or metrics."""
    named = []
    for path in [suite / "opsready.yaml", suite / "profile.yaml", *sorted((suite / "reports").rglob("*"))]:
        if path.is_file() and path.suffix in {".yaml", ".json", ".jsonl", ".md", ".xml"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            if "/orders" in text or re.search(r"\bopsready_\w+_total\b", text):
                named.append(str(path.relative_to(suite)))
    assert not named, f"the orders service is named in {named}"
