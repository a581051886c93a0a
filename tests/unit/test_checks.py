"""Named checks: one run type for checklists and maintenance checks, and a run of no checks never passes."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsready.checks import Check, CheckResult, CheckRun, run_checks
from opsready.config.maintenance import MaintenancePolicy
from opsready.deploy.checklist import Checklist, load_checklist, run_checklist
from opsready.errors import Loc, ValidationError
from opsready.maintenance.checks import phase_checks
from opsready.observation import Observation
from opsready.probes.registry import parse_probe_call
from opsready.targets.protocol import Target

HERE = Loc("test")


@dataclass
class _Target:
    base_url: str


class _Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def ready() -> Iterator[Target]:
    """A loopback service whose /readyz answers 200."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Target(f"http://127.0.0.1:{server.server_address[1]}")  # type: ignore[misc]
    server.shutdown()
    server.server_close()
    thread.join(5)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _readiness(name: str, mandatory: bool = False) -> Check:
    return Check(name, parse_probe_call("readiness", {}, HERE, HERE), mandatory)


def test_a_run_passes_when_every_check_passes(ready: Target) -> None:
    """Two passing checks run in order; the run passes and says how many."""
    run = run_checks("pre-deploy", [_readiness("ready"), _readiness("ready again")], ready)
    assert [r.name for r in run.results] == ["ready", "ready again"]
    assert run.ok and all(r.ok for r in run.results)
    assert run.summary() == "pre-deploy: 2/2 checks passed"


def test_one_failing_check_fails_the_run_with_its_evidence() -> None:
    """A service that refuses connections fails readiness; the summary names the check and the observation."""
    run = run_checks("post", [_readiness("the service is ready")], _Target(f"http://127.0.0.1:{_closed_port()}"))  # type: ignore[arg-type]
    assert not run.ok
    assert [r.name for r in run.failures()] == ["the service is ready"]
    assert run.summary().startswith("post: failed the service is ready (readiness: FAILED")


def test_mandatory_only_runs_the_mandatory_checks(ready: Target) -> None:
    """The emergency path runs only the mandatory checks."""
    run = run_checks("pre", [_readiness("optional"), _readiness("mandatory", mandatory=True)], ready, True)
    assert [r.name for r in run.results] == ["mandatory"]


def test_a_run_of_no_checks_does_not_pass() -> None:
    """Nothing verified is not a pass, for checklists and maintenance alike."""
    empty = CheckRun("pre-deploy", ())
    assert not empty.ok
    assert empty.summary() == "pre-deploy: no checks ran"
    passed = CheckRun("pre", (CheckResult("x", Observation("readiness", True)),))
    assert passed.ok


def test_a_checklist_without_mandatory_items_fails_the_emergency_path(ready: Target) -> None:
    """Only optional items and the emergency path: nothing ran, so the checklist did not pass."""
    checklist = Checklist("pre-deploy", "", (_readiness("optional"),), Path("c.yaml"))
    assert run_checklist(checklist, ready).ok
    emergency = run_checklist(checklist, ready, mandatory_only=True)
    assert not emergency.ok and emergency.summary() == "pre-deploy: no checks ran"


@pytest.mark.parametrize("items", ["items: []\n", "items:\n"])
def test_an_empty_checklist_is_a_configuration_error_at_its_line(tmp_path: Path, items: str) -> None:
    """A checklist file with no item is refused when it is loaded, at the line of ``items``."""
    path = tmp_path / "c.yaml"
    path.write_text("checklist: c\ndescription: nothing yet\n" + items)
    with pytest.raises(ValidationError) as info:
        load_checklist(path)
    assert str(info.value).startswith(f"{path}:3: "), str(info.value)
    assert info.value.exit_code == 2


def test_maintenance_phases_are_named_check_runs() -> None:
    """Pre checks the service, components, database and disk; post adds the smoke test; disk can be left out."""
    policy = MaintenancePolicy()
    pre = [c.name for c in phase_checks("pre", policy)]
    post = [c.name for c in phase_checks("post", policy, disk=False)]
    assert pre[:3] == ["the service is ready", "every component runs", "the database answers"]
    assert pre[3].startswith("the disk is at most")
    assert post == [*pre[:3], "users can browse, order and read back"]
