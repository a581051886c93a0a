"""The ``hosts`` platform's foundation: host specs and SSH connections with host-key checking and time limits."""

from __future__ import annotations

from opsready.hosts.connection import HostConnection, RemoteResult, SshSettings, connect
from opsready.hosts.spec import HostSpec, parse_host_spec

__all__ = ["HostConnection", "HostSpec", "RemoteResult", "SshSettings", "connect", "parse_host_spec"]
