"""redact(): planted canary secrets disappear, ordinary text survives, and redacting twice changes nothing."""

from __future__ import annotations

import pytest

from opsready.report import redact, redact_result
from opsready.results import RunResult

CANARY = "CANARY-c0ffee42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: Bearer {CANARY}", "Authorization: Bearer [REDACTED]"),
        (f'curl -H "Authorization: Basic {CANARY}"', 'curl -H "Authorization: Basic [REDACTED]"'),
        (f"got 401 with bearer {CANARY}.xyz", "got 401 with bearer [REDACTED]"),
        (f"password={CANARY} user=ops", "password=[REDACTED] user=ops"),
        (f"PGPASSWORD={CANARY} psql", "PGPASSWORD=[REDACTED] psql"),
        (f'{{"db_password": "{CANARY} x", "port": 5432}}', '{"db_password": "[REDACTED]", "port": 5432}'),
        (f"token: {CANARY}", "token: [REDACTED]"),
        (f"access_token={CANARY}&page=2", "access_token=[REDACTED]&page=2"),
        (f"api-key: '{CANARY}'", "api-key: '[REDACTED]'"),
        (f"opsready --token {CANARY} --verbose", "opsready --token [REDACTED] --verbose"),
        (f"postgresql://ops:{CANARY}@db:5432/orders", "postgresql://ops:[REDACTED]@db:5432/orders"),
        (f"https://user:p@ss{CANARY}@host/x", "https://user:[REDACTED]@host/x"),
        (f"    client-key-data: {CANARY}==", "    client-key-data: [REDACTED]"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl end", "jwt [REDACTED] end"),
        ("key ghp_0123456789abcdefghijABCDEFGHIJ", "key [REDACTED]"),
        ("aws AKIAABCDEFGHIJKLMNOP", "aws [REDACTED]"),
    ],
)
def test_secrets_are_replaced(text: str, expected: str) -> None:
    """Each kind of secret is masked and the text around it kept."""
    assert redact(text) == expected


def test_kubeconfig_user_block() -> None:
    """A kubeconfig's user credentials are masked; the server and names stay readable."""
    kubeconfig = (
        "clusters:\n- cluster:\n    certificate-authority-data: Q0FEQVRB\n    server: https://10.0.0.1:6443\n"
        f"users:\n- name: admin\n  user:\n    client-key-data: {CANARY}KEY\n    token: {CANARY}TOKEN\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA" + CANARY + "\n-----END RSA PRIVATE KEY-----\n"
    )
    out = redact(kubeconfig)
    assert CANARY not in out
    assert "server: https://10.0.0.1:6443" in out
    assert "- name: admin" in out
    assert "[REDACTED PRIVATE KEY]" in out


@pytest.mark.parametrize(
    "text",
    [
        "tests/test_auth.py::TestPassword::test_token_rotation",
        "tokens: 5 remaining",
        "password reset failed: timeout",
        "the bearer of bad news",
        "https://127.0.0.1:8080/orders?id=4",
        "time to roll back: 3.1 s (target 5 min 0 s) ok",
        "password:\n  next: line",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    """Node ids, counts, URLs without credentials and prose are not mangled."""
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [f"Authorization: Bearer {CANARY}", f"password={CANARY}", f"redis://:{CANARY}@cache", f"token: '{CANARY}'"],
)
def test_idempotent(text: str) -> None:
    """Redacting an already redacted text changes nothing."""
    once = redact(text)
    assert redact(once) == once


def test_redact_result_reaches_every_string(not_ready: RunResult) -> None:
    """Nested dataclasses and tuples are walked; numbers and structure are kept."""
    from dataclasses import replace

    result = replace(not_ready, notes=(f"secret={CANARY}",), selection=f"--password {CANARY}")
    clean = redact_result(result)
    assert CANARY not in repr(clean)
    assert clean.duration == result.duration
    assert clean.verdict == result.verdict
    assert clean.scenarios[0].timeline == result.scenarios[0].timeline
