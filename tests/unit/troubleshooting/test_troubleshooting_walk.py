"""The walk: each outcome of a real probe (against a real HTTP server) leads where the tree says, a hanging probe
costs its timeout and no more, a time limit ends the walk, and the result renders for people and for tools."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opsready.troubleshooting.load import load_tree
from opsready.troubleshooting.model import Tree
from opsready.troubleshooting.render import SCHEMA, to_dict, to_json, to_text
from opsready.troubleshooting.walk import run_bounded, walk

TREE = """\
version: 1
root: up
questions:
  up:
    question: Do users get answers?
    probe: availability
    args: {timeout: 3s}
    timeout: 1.5s
    ok: api
    failed: broken
    answers: {http-503: unready, refused: nothing-listens}
    hung: hanging
  api:
    question: Is the api running?
    probe: component
    args: {component: api}
    timeout: 2s
    ok: release
    failed: broken
    not_applicable: release
  release:
    question: Was a release deployed just before?
    probe: recent_release
    timeout: 2s
    ok: fine
    failed: broken
diagnoses:
  fine: {diagnosis: All good., category: healthy, runbook: guide}
  broken: {diagnosis: Broken., category: application, severity: high, runbook: guide}
  unready: {diagnosis: Not ready., category: application, severity: high, runbook: guide}
  nothing-listens: {diagnosis: Refused., category: infrastructure, severity: critical, runbook: guide}
  hanging:
    diagnosis: It hangs.
    category: infrastructure
    severity: critical
    evidence: [processes]
    runbook: guide#it-hangs
    remedy: {action: restart, component: api}
"""


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"
    release = threading.Event()

    def do_GET(self) -> None:
        if self.mode == "hang":
            self.release.wait(10)
        status = 503 if self.mode == "unready" and self.path == "/readyz" else 200
        body = b'{"status": "x"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return


@dataclass
class StubTarget:
    """Just enough of a target for HTTP probes: a name and a URL (it offers no instances, no diagnostics)."""

    base_url: str
    name: str = "stub"
    platform: str = "stub"


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    """A real HTTP server on a free loopback port; its handler's mode says how it answers."""
    handler = type("Handler", (_Handler,), {"mode": "ok", "release": threading.Event()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        handler.release.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """The small tree above, with its runbook."""
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\n## It hangs\n\n`opsready remedy restart --component api`\n")
    path = tmp_path / "tree.yaml"
    path.write_text(TREE)
    return load_tree(path, {"guide": guide})


def test_a_failed_probe_with_an_answer_the_tree_names_goes_there(tree: Tree, server: tuple[str, type]) -> None:
    """/readyz 503 -> the 'http-503' answer -> 'unready'; the step keeps the probe's evidence."""
    url, handler = server
    handler.mode = "unready"
    result = walk(tree, StubTarget(url))  # type: ignore[arg-type]
    assert result.diagnosis is not None and result.diagnosis.id == "unready"
    step = result.steps[0]
    assert (step.outcome, step.answer, step.next) == ("failed", "http-503", "unready")
    assert "GET /readyz: http-503" in step.evidence


def test_connection_refused_is_its_own_answer(tree: Tree) -> None:
    """Nothing listens on the port: the 'refused' answer, not a generic failure."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: a port nobody listens on
    result = walk(tree, StubTarget(f"http://127.0.0.1:{port}"))  # type: ignore[arg-type]
    assert result.path() == ("up", "nothing-listens")


def test_a_probe_that_cannot_observe_is_evidence_and_a_failure(tree: Tree, server: tuple[str, type]) -> None:
    """The 'recent_release' probe needs the target's release history, which this target lacks: 'error', then
    'failed'."""
    url, _ = server
    result = walk(tree, StubTarget(url))  # type: ignore[arg-type]
    assert result.path() == ("up", "release", "broken")
    assert result.steps[1].outcome == "error"
    assert "could not observe (AttributeError" in result.steps[1].evidence


def test_a_question_the_platform_cannot_answer_is_named_and_passed_over(tree: Tree, server: tuple[str, type]) -> None:
    """'component' needs process states, which a target without diagnostics cannot offer: the question is not asked
    (no step, no time), the walk names it with the reason and goes on along its not_applicable branch; both
    renderings say so."""
    url, _ = server
    result = walk(tree, StubTarget(url))  # type: ignore[arg-type]
    assert [s.node for s in result.steps] == ["up", "release"]
    (skipped,) = result.not_applicable
    assert (skipped.node, skipped.probe, skipped.next) == ("api", "component", "release")
    assert skipped.reasons == ("processes: platform 'stub' offers no troubleshooting diagnostics",)
    text = to_text(result)
    assert "Not applicable on platform 'stub' (these questions were not asked):" in text
    assert "  - api (component): processes: platform 'stub' offers no troubleshooting diagnostics" in text
    data = to_dict(result)
    assert data["target"]["platform"] == "stub"
    assert data["not_applicable"] == [
        {
            "node": "api",
            "question": "Is the api running?",
            "probe": "component",
            "reasons": ["processes: platform 'stub' offers no troubleshooting diagnostics"],
            "next": "release",
        }
    ]


def test_a_hanging_probe_costs_its_timeout_and_takes_the_hung_branch(tree: Tree, server: tuple[str, type]) -> None:
    """The server never answers: after the question's 1.5 s the walk goes on to 'hanging', with the remedy."""
    url, handler = server
    handler.mode = "hang"
    started = time.monotonic()
    result = walk(tree, StubTarget(url))  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert result.path() == ("up", "hanging")
    assert result.steps[0].outcome == "hung" and "no answer within 1.5 s" in result.steps[0].evidence
    assert elapsed < 1.5 + 1.0  # the probe's own 3 s timeout does not matter: the question's 1.5 s does
    assert result.remedy_command() == "opsready remedy restart --component api"


def test_the_time_limit_ends_a_walk_without_a_diagnosis(tree: Tree, server: tuple[str, type]) -> None:
    """With 0.2 s for the whole walk, the hanging first question is cut at 0.2 s and there is no diagnosis."""
    url, handler = server
    handler.mode = "hang"
    result = walk(tree, StubTarget(url), time_limit=0.2)  # type: ignore[arg-type]
    assert not result.complete and result.diagnosis is None
    assert result.seconds < 0.2 + 0.5
    assert "No diagnosis: the time limit of 0.2 s ran out" in to_text(result)


def test_the_walk_renders_as_json_for_tools_and_text_for_people(tree: Tree, server: tuple[str, type]) -> None:
    """JSON carries the schema, path, each step's evidence and the runbook link; text shows the same for people."""
    url, handler = server
    handler.mode = "hang"
    result = walk(tree, StubTarget(url))  # type: ignore[arg-type]
    data = json.loads(to_json(result))
    assert data == to_dict(result)
    assert data["schema"] == SCHEMA and data["complete"] is True
    assert data["path"] == ["up", "hanging"]
    assert data["diagnosis"]["runbook"]["link"].endswith("guide.md#it-hangs")
    assert data["diagnosis"]["remedy"]["command"] == "opsready remedy restart --component api"
    text = to_text(result)
    assert "Diagnosis: hanging (infrastructure, severity critical)" in text
    assert "Runbook: " in text and "guide.md#it-hangs" in text
    assert "-> HUNG" in text


def test_run_bounded_reports_value_error_or_no_answer() -> None:
    """The building block: a value, an exception, or 'did not finish' after the timeout."""
    assert run_bounded(lambda: 42, 1.0).value == 42
    failed = run_bounded(lambda: 1 / 0, 1.0)
    assert failed.finished and isinstance(failed.error, ZeroDivisionError)
    stop = threading.Event()
    slow = run_bounded(lambda: stop.wait(5), 0.1)
    stop.set()
    assert not slow.finished and slow.seconds < 1.0
