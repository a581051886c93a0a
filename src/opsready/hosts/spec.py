"""Host specs: ``ssh://user@host:port``, the way a target names the machines it runs on.

A spec is parsed once, at the configuration boundary, into a frozen :class:`HostSpec`. Only the ssh scheme is
accepted, and a spec that carries a password is refused outright: testinfra would hand it to ``sshpass -p`` on a
command line, where every user of the machine can read it in ``ps``. Keys come from the ssh configuration or agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsready.errors import ConfigError, Loc

DEFAULT_PORT = 22
# A user name as useradd accepts it, and a host as a DNS name, an ssh_config alias or an IPv4 address.
_USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", re.IGNORECASE)


@dataclass(frozen=True)
class HostSpec:
    """One host of a target: who to log in as, where, and on which port."""

    user: str
    host: str
    port: int = DEFAULT_PORT

    def __str__(self) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}"

    @property
    def name(self) -> str:
        """The name reports and errors use for this host."""
        return self.host

    @property
    def testinfra_spec(self) -> str:
        """The spec as ``testinfra.get_host`` reads it (never with a password: none can get here)."""
        return f"ssh://{self.user}@{self.host}:{self.port}"

    @property
    def backend_spec(self) -> str:
        """The spec as testinfra's SshBackend itself takes it: ``user@host:port``, no scheme (get_host strips it)."""
        return f"{self.user}@{self.host}:{self.port}"


def parse_host_spec(text: object, loc: Loc | None = None) -> HostSpec:
    """Parse ``ssh://user@host[:port]``; a password, another scheme or a malformed part is a ConfigError at ``loc``."""
    if not isinstance(text, str):
        raise ConfigError(f"a host is a string like ssh://user@host:22, not {type(text).__name__}", loc)
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise ConfigError(f"host '{_shown(text)}' needs the form ssh://user@host:port", loc)
    if scheme != "ssh":
        raise ConfigError(
            f"host '{_shown(text)}': only ssh:// hosts are supported (got {scheme}://)",
            loc,
            hint="local:// and the paramiko backend are not offered: paramiko does not check known_hosts",
        )
    if any(c in rest for c in "/?#"):
        raise ConfigError(f"host '{_shown(text)}': a host spec has no path or options; put options in ssh_config", loc)
    userinfo, at, hostport = rest.rpartition("@")
    if not at or not userinfo:
        raise ConfigError(f"host '{_shown(text)}' names no user: write ssh://user@host:port", loc)
    if ":" in userinfo:
        raise ConfigError(
            f"host '{_shown(text)}' carries a password, which is refused",
            loc,
            hint="testinfra would pass it to sshpass on a command line, visible in ps; "
            "use a key from the ssh configuration or agent",
        )
    if not _USER.match(userinfo):
        raise ConfigError(f"host '{_shown(text)}': '{userinfo}' is not a user name", loc)
    host, colon, port_text = hostport.partition(":")
    if not _HOST.match(host) or ".." in host:
        raise ConfigError(f"host '{_shown(text)}': '{host}' is not a host name or address", loc)
    port = DEFAULT_PORT
    if colon:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"host '{_shown(text)}': port '{port_text}' is not a number from 1 to 65535", loc)
        port = int(port_text)
    return HostSpec(user=userinfo, host=host, port=port)


def _shown(text: str) -> str:
    """The spec as it may appear in a message: a password in it is replaced, never echoed."""
    scheme, sep, rest = text.partition("://")
    userinfo, at, hostport = rest.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.partition(":")[0]
        return f"{scheme}{sep}{user}:***@{hostport}"
    return text
