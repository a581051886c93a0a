"""What the ``hosts`` platform says when something fails: one sentence naming the host, with nothing secret in it.

ssh exits 255 and explains itself on stderr; :func:`explain_ssh_failure` turns that into a HostError. ssh's messages
can quote the identity file it tried, and a command line can hold a password someone typed into a spec, so any text
quoted in an error, report or log passes through :func:`redact` first.
"""

from __future__ import annotations

import re

from opsready.errors import HostError

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


# (a phrase ssh writes, what it means, what to do); the first that matches wins, so specific ones come first.
_KNOWN: tuple[tuple[str, str, str | None], ...] = (
    (
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "host key mismatch: the key it offered differs from the one in known_hosts",
        "if the host was really reinstalled, replace its line in the known_hosts file; otherwise do not connect",
    ),
    (
        "host key is known for",
        "host key unknown: no key for it in known_hosts, and host keys are always checked",
        "add its key to the known_hosts file the configuration names (ssh-keyscan, checked out of band)",
    ),
    (
        "Host key verification failed",
        "host key verification failed against known_hosts",
        "check the host's line in the known_hosts file the configuration names",
    ),
    ("Permission denied", "login refused: no key it accepts", "check the user and the key in the ssh configuration"),
    ("Connection refused", "unreachable: connection refused (no ssh server on that port?)", None),
    ("Connection timed out", "unreachable: connection timed out", None),
    ("No route to host", "unreachable: no route to host", None),
    ("Network is unreachable", "unreachable: network is unreachable", None),
    ("Could not resolve hostname", "unreachable: its name does not resolve", None),
    ("Timeout, server", "connection lost: the host stopped answering", None),
    ("Connection closed by", "connection closed by the host", None),
    ("Connection reset", "connection reset", None),
)


def explain_ssh_failure(host: str, stderr: str, secrets: tuple[str, ...] = ()) -> HostError:
    """A HostError for a failed ssh run, from ssh's stderr; nothing secret from that stderr is quoted."""
    for phrase, meaning, hint in _KNOWN:
        if phrase.lower() in stderr.lower():
            return HostError(meaning, host, hint=hint)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = redact(lines[-1], secrets) if lines else "no message"
    return HostError(f"ssh failed: {last}", host)
