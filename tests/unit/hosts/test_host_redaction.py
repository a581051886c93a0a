"""Redaction and ssh failure messages of the hosts platform: nothing secret in an error, the host always named."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ConfigError, Loc
from opsready.hosts.messages import explain_ssh_failure, redact

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
)
PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9cZ1vyRuvXkxQ3x0Zy0k5aU4C5RkqZbKyk6vB4 fleet"


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"Load key: {PEM}", "b3BlbnNzaC1rZXktdjE"),
        (f"offering {PUB}", "AAAAC3NzaC1lZDI1NTE5AAAAIB9c"),
        ("ssh://deploy:hunter2@app1:22", "hunter2"),
        ("sshpass -p hunter2 ssh app1", "hunter2"),
        ("Warning: Identity file /home/ops/.ssh/id_deploy not accessible", "/home/ops/.ssh/id_deploy"),
    ],
)
def test_redact_masks_secrets(text: str, leaked: str) -> None:
    """Key material, URL passwords, sshpass arguments and the given paths never survive redaction."""
    assert leaked not in redact(text, ("/home/ops/.ssh/id_deploy",))
    assert "***" in redact(text, ("/home/ops/.ssh/id_deploy",))


def test_redact_masks_the_longest_secret_first() -> None:
    """A directory and a file in it are both secret: the file path goes whole, not half-masked."""
    out = redact("reading /tmp/x/key and /tmp/x", ("/tmp/x", "/tmp/x/key"))
    assert out == "reading *** and ***"


def test_redact_leaves_ordinary_text_alone() -> None:
    """Text without secrets passes unchanged."""
    assert redact("ssh: connect to host app1 port 22: Connection refused") == (
        "ssh: connect to host app1 port 22: Connection refused"
    )


@pytest.mark.parametrize(
    ("stderr", "meaning"),
    [
        (
            "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.",
            "host key mismatch",
        ),
        (
            "No ED25519 host key is known for app1 and you have requested strict checking.\n"
            "Host key verification failed.",
            "host key unknown",
        ),
        ("root@app1: Permission denied (publickey).", "login refused"),
        ("ssh: connect to host 10.0.0.9 port 22: Connection refused", "unreachable: connection refused"),
        ("ssh: connect to host 10.0.0.9 port 22: No route to host", "unreachable: no route to host"),
        ("ssh: connect to host 10.0.0.9 port 22: Connection timed out", "unreachable: connection timed out"),
        ("ssh: Could not resolve hostname app9: Name or service not known", "unreachable: its name does not resolve"),
        ("Timeout, server app1 not responding.", "connection lost"),
    ],
)
def test_ssh_failures_are_explained(stderr: str, meaning: str) -> None:
    """Each kind of ssh failure becomes one sentence that starts with the host's name."""
    error = explain_ssh_failure("app1", stderr)
    assert str(error).startswith(f"host app1: {meaning}")
    assert error.host == "app1"


def test_unknown_failure_quotes_ssh_redacted() -> None:
    """An ssh failure we do not know is quoted (its last line), with secrets masked."""
    error = explain_ssh_failure("db", f"debug\nsomething odd with /secret/key {PUB}", ("/secret/key",))
    assert str(error).startswith("host db: ssh failed: something odd with ***")
    assert "/secret/key" not in str(error) and "AAAAC3" not in str(error)


@pytest.mark.parametrize(
    "line",
    [
        "      password: hunter2",
        "      ssh_key_passphrase: 'hunter2'",
        "    ssh: {known_hosts: ./kh, password: hunter2, sudo: true}",
        "        hosts: ['ssh://root:hunter2@app1:22']",
    ],
)
def test_a_quoted_configuration_line_never_shows_a_credential(tmp_path: Path, line: str) -> None:
    """An error at a line holding a password-like key's value or a URL password quotes the line masked."""
    path = tmp_path / "opsready.yaml"
    path.write_text(f"targets:\n{line}\n", encoding="utf-8")
    rendered = ConfigError("refused", Loc(str(path), 2)).render()
    assert "hunter2" not in rendered and "***" in rendered, rendered
