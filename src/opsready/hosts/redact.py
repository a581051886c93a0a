"""Redaction for everything the ``hosts`` platform says: no credential, key or key path leaves in a message.

ssh's own messages can quote the identity file it tried, and a command line can hold a password someone typed
into a spec; errors, reports and logs get the text only after it passed through :func:`redact`.
"""

from __future__ import annotations

import re

MASK = "***"

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.IGNORECASE)
_SSHPASS = re.compile(r"(sshpass\s+-p\s*)(\S+)")
_OPENSSH_KEY_BLOB = re.compile(r"\b(b3BlbnNzaC1rZXktdjE|AAAA[BC][A-Za-z0-9+/]{20,})[A-Za-z0-9+/=]*")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with key material, URL passwords, sshpass arguments and each of ``secrets`` (paths) masked."""
    out = _PEM.sub(MASK, text)
    out = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", out)
    out = _SSHPASS.sub(lambda m: f"{m.group(1)}{MASK}", out)
    out = _OPENSSH_KEY_BLOB.sub(MASK, out)
    # Longest first, so a directory does not mask half of a file path inside it.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    return out
