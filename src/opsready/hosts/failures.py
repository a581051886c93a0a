"""What an ssh failure means, in one sentence that names the host: ssh exits 255 and explains itself on stderr."""

from __future__ import annotations

from opsready.errors import HostError
from opsready.hosts.redact import redact

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
