"""Incident notices: the shipped templates render every placeholder, broken templates are reported at their line,
and the optional webhook posts a Slack-compatible payload to a real HTTP receiver on 127.0.0.1 (never by default)."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from opsready.errors import ValidationError
from opsready.incident.comms import KINDS, PLACEHOLDERS, Communicator, check_templates, render
from opsready.incident.webhook import payload, post_notice, redact


@pytest.fixture
def templates(tmp_path: Path, root: Path) -> Path:
    """A copy of the shipped incident templates."""
    directory = tmp_path / "templates"
    directory.mkdir()
    for kind in KINDS:
        name = f"incident-{kind}.md.j2"
        shutil.copy(root / "runbooks" / "templates" / name, directory / name)
    return directory


def test_every_shipped_notice_uses_only_known_placeholders(root: Path) -> None:
    """Rendering with the sample values succeeds for each kind, and each shows the severity it was given."""
    check_templates(root / "runbooks" / "templates")
    for kind in KINDS:
        text = render(root / "runbooks" / "templates", kind, {**PLACEHOLDERS, "severity": "high"})
        assert "HIGH" in text.splitlines()[0] or kind == "resolution"
        assert "{{" not in text and "{%" not in text


def test_a_drill_is_labelled_and_a_real_incident_is_not(root: Path) -> None:
    """'[DRILL]' leads a drill's notices only."""
    directory = root / "runbooks" / "templates"
    assert render(directory, "initial", PLACEHOLDERS).startswith("[DRILL] [INCIDENT CRITICAL]")
    assert render(directory, "initial", {**PLACEHOLDERS, "drill": ""}).startswith("[INCIDENT CRITICAL]")


@pytest.mark.parametrize(
    ("kind", "line_text", "replacement", "message"),
    [
        ("initial", "Status: {{ status }}.", "Status: {{ status }.", "template syntax error"),
        (
            "update",
            "Status: {{ status }}.",
            "Status: {{ sttus }}.",
            "'sttus' is not a field of incident notices (did you mean 'status'",
        ),
        ("resolution", "User impact: {{ user_impact }}.", "User impact: {{ user_impact | nosuchfilter }}.", "filter"),
    ],
)
def test_broken_template_is_reported_at_its_line(
    templates: Path, kind: str, line_text: str, replacement: str, message: str
) -> None:
    """A syntax error, an unknown placeholder or an unknown filter names the template file and line."""
    path = templates / f"incident-{kind}.md.j2"
    text = path.read_text()
    assert line_text in text
    path.write_text(text.replace(line_text, replacement))
    with pytest.raises(ValidationError) as caught:
        check_templates(templates)
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.path == str(path)
    assert caught.value.loc.line == text[: text.index(line_text)].count("\n") + 1


def test_a_missing_template_is_named(templates: Path) -> None:
    """Deleting the update template is reported with its path before anything runs."""
    (templates / "incident-update.md.j2").unlink()
    with pytest.raises(ValidationError, match="incident notice template not found"):
        check_templates(templates)


def test_communicator_writes_notices_and_fills_unknown_values_with_na(templates: Path, tmp_path: Path) -> None:
    """A value nobody knows yet reads 'n/a', never a sample value; the file holds exactly what was rendered."""
    comms = Communicator(templates, tmp_path / "comms")
    sent = comms.send("initial", "incident-x", {"severity": "low", "title": "Thing", "status": "investigating"})
    assert sent.path.parent == tmp_path / "comms" and sent.path.name.endswith("-incident-x-initial.md")
    assert sent.path.read_text() == sent.text
    assert "[INCIDENT LOW] n/a (n/a): Thing" in sent.text
    assert "Casey" not in sent.text and sent.webhook == ""


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, object]]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    """A real HTTP server on 127.0.0.1 standing in for a chat webhook."""
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_notices_are_posted_to_a_configured_webhook(
    templates: Path, tmp_path: Path, receiver: tuple[str, type[_Receiver]]
) -> None:
    """With a URL, each notice is also posted as Slack's {text, blocks}; the secret never shows in the outcome."""
    url, handler = receiver
    comms = Communicator(templates, tmp_path / "comms", url)
    sent = comms.send("update", "incident-x", {"severity": "high", "title": "Errors", "status": "mitigated"})
    assert len(handler.received) == 1
    path, body = handler.received[0]
    assert path == "/services/T000/B000/secret-token"
    assert body["text"] == sent.text.splitlines()[0]
    assert body["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": sent.text.strip()}}]
    assert sent.webhook.startswith("ok: HTTP 200 from http://127.0.0.1:") and "secret" not in sent.webhook


def test_a_refusing_or_absent_webhook_is_reported_not_raised(receiver: tuple[str, type[_Receiver]]) -> None:
    """A chat outage must not stop incident response: the outcome says what happened."""
    url, handler = receiver
    handler.status = 403
    assert post_notice(url, "x", "initial").startswith("refused: HTTP 403")
    closed = "http://127.0.0.1:9/hook"  # the discard port: nothing listens there
    assert post_notice(closed, "x", "initial", timeout=1.0).startswith("failed: ConnectError")


def test_payload_is_bounded_and_urls_are_redacted() -> None:
    """Slack caps a section at 3000 characters; a webhook URL shows only scheme and host."""
    body = payload("x" * 5000, "initial")
    blocks = body["blocks"]
    assert isinstance(blocks, list) and len(blocks[0]["text"]["text"]) == 3000
    assert redact("https://hooks.slack.com/services/T/B/secret") == "https://hooks.slack.com/…"
