"""PostgreSQL of the sandbox asks every connection for a password that nobody can read off a process or a log.

The password lives in the 0600 libpq password file only: not in any process's command line or environment, not in
supervisord's configuration, not in any file the sandbox writes under its state directory. A connection without it
is refused, over TCP, through the db proxy and over the Unix socket alike.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from opsready.sandbox import database
from opsready.sandbox.layout import HOST
from opsready.sandbox.maintenance import SandboxMaintenance
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.supervisor import read_pid

pytestmark = pytest.mark.sandbox

if database.find_postgres() is None:
    pytest.skip("PostgreSQL is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A PostgreSQL sandbox on free ports (below pytest's private tmp: its data lives outside when we are root)."""
    sbx = Sandbox(SandboxOptions(state_dir=tmp_path_factory.mktemp("dbpass") / "state", ports="auto"))
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


def _password(sbx: Sandbox) -> str:
    lines = database.passfile(sbx.layout).read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"*:*:*:{database.PG_USER}:")
    password = lines[0].rsplit(":", 1)[1]
    assert len(password) >= 24
    return password


def _refused(conninfo: str) -> str:
    """The error of a connection attempt that names no password file (and no ~/.pgpass can help)."""
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(conninfo, connect_timeout=3, passfile=os.devnull).close()
    return str(info.value)


def test_a_connection_without_the_password_is_refused(sandbox: Sandbox) -> None:
    """TCP to the server, TCP through the db proxy and the Unix socket all want the password; with the password
    file the sandbox's own URL connects."""
    ports = sandbox.ports()
    user = database.PG_USER
    for conninfo in (
        f"host={HOST} port={ports.postgres} user={user} dbname={database.PG_DB}",
        f"host={HOST} port={ports.db_proxy} user={user} dbname={database.PG_DB}",
        f"host={sandbox.layout.pg_run()} port={ports.postgres} user={user} dbname={database.PG_DB}",
    ):
        assert "no password supplied" in _refused(conninfo), conninfo
    wrong = f"host={HOST} port={ports.postgres} user={user} dbname={database.PG_DB} password=not-the-password"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=3).close()
    with psycopg.connect(database.admin_url(sandbox.layout, ports, database.PG_DB), connect_timeout=3) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (user,)
    hba = [
        line.split()
        for line in (sandbox.layout.pg_data() / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert hba and all(fields[-1] == "scram-sha-256" for fields in hba)
    assert {fields[0] for fields in hba} == {"local", "host"}


def test_password_file_is_private(sandbox: Sandbox) -> None:
    """The password file is mode 0600 and the sandbox's URLs name the file, never the password."""
    path = database.passfile(sandbox.layout)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = _password(sandbox)
    assert f"passfile={path}" in sandbox.db_url()
    assert password not in sandbox.db_url()
    assert not (sandbox.layout.pg_root / ".initdb-password").exists()


def _session_processes(sid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == sid:
                found.append(proc)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return found


def _exposed_in(password: bytes, pids: list[int]) -> list[str]:
    exposed = []
    for pid in pids:
        for name in ("cmdline", "environ"):
            try:
                content = Path(f"/proc/{pid}/{name}").read_bytes()
            except OSError:  # gone meanwhile
                continue
            if password in content:
                exposed.append(f"/proc/{pid}/{name}")
    return exposed


def _files_holding(password: bytes, top: Path, leave_out: Path) -> list[Path]:
    return [
        path
        for path in top.rglob("*")
        if path.is_file() and not path.is_symlink() and path != leave_out and password in path.read_bytes()
    ]


def test_password_is_nowhere_but_its_file(sandbox: Sandbox) -> None:
    """After traffic, a backup and a restore check, no process of the sandbox's session (nor any other on the
    machine) carries the password in its argv or environment, and no file under the state directory (supervisord's
    configuration, logs, backups, manifests) holds it."""
    password = _password(sandbox).encode()
    order = httpx.post(f"{sandbox.base_url}/orders", json={"item": "widget", "quantity": 1}, timeout=5)
    assert order.status_code == 201
    maintenance = SandboxMaintenance(sandbox)
    check = maintenance.verify_restore(maintenance.backup())
    assert check.restored == check.expected and check.restored.orders >= 1
    sid = read_pid(sandbox.layout)
    assert sid is not None
    members = _session_processes(sid)
    names = {proc.name() for proc in members}
    assert "postgres" in names and len(members) >= 6, names  # the server, its backends, gunicorn, the worker...
    assert _exposed_in(password, [proc.pid for proc in members]) == []
    assert _exposed_in(password, psutil.pids()) == []
    assert password not in sandbox.layout.supervisor_conf.read_bytes()
    assert _files_holding(password, sandbox.layout.state, database.passfile(sandbox.layout)) == []


def test_a_data_directory_made_when_connections_were_trusted_gets_a_password(sandbox: Sandbox) -> None:
    """A sandbox made by an opsready that trusted local connections (no password file, trust in pg_hba.conf) is
    given a new password on the next ``up``; it serves again, and a connection without the password is refused."""
    sandbox.down()
    hba = sandbox.layout.pg_data() / "pg_hba.conf"
    hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    database.passfile(sandbox.layout).unlink()
    sandbox.up()
    password = _password(sandbox).encode()
    ports = sandbox.ports()
    assert "no password supplied" in _refused(f"host={HOST} port={ports.postgres} user={database.PG_USER}")
    assert httpx.get(f"{sandbox.base_url}/readyz", timeout=5).status_code == 200
    assert _files_holding(password, sandbox.layout.state, database.passfile(sandbox.layout)) == []
    assert _exposed_in(password, psutil.pids()) == []
