"""The fleet as a maintained hosts target: a real SQLite database on the db host, logs on the app hosts, a TLS
certificate issued by a CA of the test's own; everything put on the hosts over SSH, and taken off again."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from opsready.hosts.adapter import HostsTarget
from opsready.hosts.connection import HostConnection

from .fleet import Fleet
from .target import fleet_yaml

REPO = Path(__file__).resolve().parents[2]
DB = "/srv/db/orders.sqlite"
BACKUPS = "/srv/backups"
CERT = "/srv/tls/cert.pem"
CA = "/srv/tls/ca.pem"
CERT_NAME = "orders.fleet.test"

SEED = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, quantity INTEGER NOT NULL)")
conn.execute("BEGIN")
for i in range(int(sys.argv[2])):
    conn.execute("INSERT INTO orders (item, quantity) VALUES (?, ?)", ("item-%d" % (i % 17), i % 9 + 1))
conn.execute("COMMIT")
"""

# users ordering: one insert at a time, each committed, for argv[2] seconds; prints how many it made
WRITER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
end, made = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < end:
    conn.execute("INSERT INTO orders (item, quantity) VALUES ('written-during-backup', 1)")
    made += 1
    time.sleep(0.002)
print(made)
"""

COUNT = r"""
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM orders").fetchone()[0])
"""


def maintenance_yaml(fleet: Fleet, tmp: Path, base: str | None = None) -> str:
    """The fleet's configuration (or ``base``) with its ``maintenance`` section, the suite's maintenance policy
    writing into ``tmp``, and the fleet allowed to be changed."""
    default = f"""\
    maintenance:
      database:
        engine: sqlite
        path: {DB}
        backups: {BACKUPS}
        digest: {{table: orders, key: id, columns: [id, item, quantity]}}
        timeout: 60s
      logs:
        app: [/srv/app/*.log]
      disk: [/, /srv]
      certificate: {{role: app, path: {CERT}, name: {CERT_NAME}, ca: {CA}}}
      timeout: 20s
"""
    policy = f"""\
maintenance:
  records_dir: {tmp / "records"}
  comms_dir: {tmp / "comms"}
  templates_dir: {REPO / "runbooks" / "templates"}
  disk_threshold: 95%
safety:
  destructive_targets: [fleet]
"""
    return (base or fleet_yaml(fleet)) + default + policy


def python(conn: HostConnection, script: str, *args: str, timeout: float = 30) -> str:
    """Run a python script on the host with its own python3; its output."""
    return conn.check(shlex.join(["/usr/bin/python3", "-c", script, *args]), timeout).stdout.strip()


def seed_database(conn: HostConnection, rows: int) -> None:
    """A fresh orders database with ``rows`` orders on the db host."""
    conn.check(f"rm -rf /srv/db {BACKUPS} && mkdir -p /srv/db")
    python(conn, SEED, DB, str(rows))


def count_orders(conn: HostConnection, path: str = DB) -> int:
    """How many orders the database at ``path`` on the host holds."""
    return int(python(conn, COUNT, path))


def issue_certificate(directory: Path, days: int, name: str = CERT_NAME) -> tuple[str, str]:
    """A CA of this test's own and a certificate for ``name`` valid ``days`` days signed by it: (certificate PEM,
    CA PEM)."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30, cwd=directory)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "365", "-subj", "/CN=fleet test CA")
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={name}")
    (directory / "leaf.ext").write_text(f"subjectAltName=DNS:{name}\n", encoding="utf-8")
    openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "leaf.pem", "-days", str(days), "-extfile", "leaf.ext",
    )  # fmt: skip
    return (directory / "leaf.pem").read_text(encoding="utf-8"), (directory / "ca.pem").read_text(encoding="utf-8")


def install(conn: HostConnection, path: str, text: str) -> None:
    """Write ``text`` to ``path`` on the host, over SSH."""
    conn.check(f"mkdir -p {shlex.quote(str(Path(path).parent))} && printf '%s' {shlex.quote(text)} > {path}")


def clean_hosts(target: HostsTarget) -> None:
    """Take the database, backups, certificates, test logs and log archives off the hosts."""
    target.connection("db").check(f"rm -rf /srv/db {BACKUPS} /srv/slowpy")
    for name in ("app1", "app2"):
        target.connection(name).check("rm -rf /srv/tls /srv/app/*.gz /srv/app/access.log /srv/fill")
