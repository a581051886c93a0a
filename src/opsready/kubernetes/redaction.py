"""Keep kubeconfig credentials out of errors, logs and reports.

Two layers: every secret value found in the kubeconfig files (tokens, passwords, client keys, auth-provider and exec
plugin secrets, token files) is masked wherever it appears, exactly; and generic shapes (Authorization headers,
bearer tokens, URL passwords, PEM private keys) are masked even when the value came from somewhere else, such as a
token an exec plugin fetched at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

MASK = "[REDACTED]"
MIN_SECRET = 4  # shorter values would mask ordinary words; no credential is that short
_USER_SECRETS = ("token", "password", "client-key-data", "client-certificate-data")
_PROVIDER_SECRETS = ("id-token", "refresh-token", "client-secret", "access-token", "idp-certificate-authority-data")
_AUTHORIZATION = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)((?:bearer|basic)\s+)?[^\s'\",}]+")
_GENERIC: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S), MASK),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{6,}=*"), r"\1 " + MASK),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@"), r"\1:" + MASK + "@"),
)


def _walk_user(user: Mapping[str, Any]) -> Iterable[str]:
    for key in _USER_SECRETS:
        value = user.get(key)
        if isinstance(value, str):
            yield value
    token_file = user.get("tokenFile")
    if isinstance(token_file, str):
        try:
            content = Path(token_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError:
            content = ""
        if content:
            yield content
    provider = user.get("auth-provider")
    if isinstance(provider, Mapping):
        config = provider.get("config")
        if isinstance(config, Mapping):
            for key in _PROVIDER_SECRETS:
                value = config.get(key)
                if isinstance(value, str):
                    yield value
    exec_ = user.get("exec")
    if isinstance(exec_, Mapping):
        for item in exec_.get("env") or ():
            if isinstance(item, Mapping) and isinstance(item.get("value"), str):
                yield item["value"]


def secrets_in_kubeconfig(text: str) -> tuple[str, ...]:
    """Every credential value written in one kubeconfig document (unparseable text yields none)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ()
    found: list[str] = []
    if isinstance(data, Mapping):
        for entry in data.get("users") or ():
            user = entry.get("user") if isinstance(entry, Mapping) else None
            if isinstance(user, Mapping):
                found.extend(_walk_user(user))
    return tuple(found)


class Redactor:
    """Masks known secret values and generic credential shapes in free text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Remember more secret values (e.g. a token an exec plugin returned)."""
        for secret in secrets:
            value = secret.strip()
            if len(value) >= MIN_SECRET:
                self._secrets.add(value)
                for scheme in ("Bearer ", "bearer "):  # api_key values carry their scheme
                    if value.startswith(scheme) and len(value) - len(scheme) >= MIN_SECRET:
                        self._secrets.add(value[len(scheme) :])

    def add_files(self, paths: Iterable[Path]) -> None:
        """Remember every credential written in these kubeconfig files (unreadable ones are skipped)."""
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            self.add(secrets_in_kubeconfig(text))

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by ``[REDACTED]``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", text)
        for pattern, replacement in _GENERIC:
            text = pattern.sub(replacement, text)
        return text
