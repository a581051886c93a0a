"""What the machine running a sandbox should look like, for testinfra host-state checks."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from opsready.sandbox import installed
from opsready.sandbox.database import server_user
from opsready.sandbox.layout import HOST
from opsready.sandbox.manager import Sandbox
from opsready.targets.protocol import HostExpectations


def expectations(sandbox: Sandbox) -> HostExpectations:
    """Services from supervisord.conf, the recorded ports, the release link and its release, the data directory."""
    ports = sandbox.ports()
    engine = sandbox.engine()
    services = ["api", "worker", "edge"]
    sockets = [f"tcp://{HOST}:{ports.edge}", f"tcp://{HOST}:{ports.api}"]
    private: list[tuple[str, str]] = []
    if engine == "postgresql":
        services[:0] = ["postgres", "db_proxy"]
        sockets += [f"tcp://{HOST}:{ports.postgres}", f"tcp://{HOST}:{ports.db_proxy}"]
        private.append((str(sandbox.layout.pg_data()), server_user() or getpass.getuser()))
    supervisorctl = str(Path(sys.executable).parent / "supervisorctl")
    records = installed.history(sandbox.layout)
    release = records[-1].version if records else ""  # from the history: the link itself is what is checked
    return HostExpectations(
        services=tuple(services),
        supervisorctl=(supervisorctl, str(sandbox.layout.supervisor_conf)),
        sockets=tuple(sockets),
        release_link=(str(sandbox.layout.current), release),
        private_dirs=tuple(private),
    )
