"""Remove secrets from free text before it reaches a report: tokens, passwords, URL credentials, kubeconfig keys.

Applied at the boundary: every string of a :class:`~opsready.results.RunResult` goes through :func:`redact` before a
report is written, so a failure message that quotes a connection string or a header cannot leak it.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any, cast

from opsready.results import RunResult

MASK = "[REDACTED]"

_NOT_MASKED = r"(?!\[REDACTED\])"
# key names whose value is a secret: password, PGPASSWORD, db_password, access_token, api-key, client-key-data, ...
_SECRET_KEY = (
    r"[\w-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]key[_-]data|credentials?)(?![\w-])"
)
_SCHEMES = r"(?:bearer|basic|token|digest)"
# Authorization: Bearer xyz (the scheme stays, the credentials go)
_AUTHORIZATION = re.compile(
    r"(?i)(authorization[\"']?[ \t]*[:=][ \t]*[\"']?)(?:("
    + _SCHEMES
    + r")[ \t]+)?"
    + _NOT_MASKED
    + r"(?!"
    + _SCHEMES
    + r"[ \t])[^\s\"',;]+"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL),
        "[REDACTED PRIVATE KEY]",
    ),
    # scheme://user:password@host keeps the user, loses the password (which may itself contain '@')
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):" + _NOT_MASKED + r"[^/\s]+@"), r"\1:" + MASK + "@"),
    (re.compile(r"(?i)\b(bearer)[ \t]+" + _NOT_MASKED + r"[A-Za-z0-9\-._~+/]{8,}=*"), r"\1 " + MASK),
    # --password hunter2, --token=abc
    (re.compile(r"(?i)(--" + _SECRET_KEY + r"(?:[ \t]+|=))" + _NOT_MASKED + r"(?!-)[^\s\"']+"), r"\1" + MASK),
    # well-known token shapes, wherever they appear: JWTs, GitHub and Slack tokens, AWS access key ids
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
)
# key: value, key=value, "key": "value" (the separator ':' but not '::', so pytest node ids stay intact)
_KEY_VALUE = re.compile(
    r"(?i)(?<![\w-])("
    + _SECRET_KEY
    + r")([\"']?[ \t]*(?:=|:(?!:))[ \t]*)"
    + _NOT_MASKED
    + r"(\"[^\"]*\"|'[^']*'|[^\s\"',;&}]+)"
)


def _mask_authorization(match: re.Match[str]) -> str:
    scheme = f"{match.group(2)} " if match.group(2) else ""
    return f"{match.group(1)}{scheme}{MASK}"


def _mask_value(match: re.Match[str]) -> str:
    value = match.group(3)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{match.group(2)}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """The text with every secret it contains replaced by ``[REDACTED]``; idempotent."""
    text = _AUTHORIZATION.sub(_mask_authorization, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _KEY_VALUE.sub(_mask_value, text)


def _scrub(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_scrub(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {f.name: _scrub(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)
    return value


def redact_result(result: RunResult) -> RunResult:
    """A copy of the run result with every string in it (messages, details, notes, URLs) redacted."""
    return cast(RunResult, _scrub(result))
