"""Steps of the upkeep runbooks: log rotation, database integrity, and the edge's TLS certificate."""

from __future__ import annotations

import gzip
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import parsers, then, when

from opsready.bdd.maintenance import MaintenanceDrill
from opsready.maintenance.record import MaintenanceRecord
from opsready.targets.protocol import Target


@dataclass
class Upkeep:
    """What the steps of one upkeep scenario hand to each other (per test)."""

    rotations: list[MaintenanceRecord] = field(default_factory=list)
    old_archives: list[Path] = field(default_factory=list)
    tls: ssl.SSLSocket | None = None


@pytest.fixture
def upkeep() -> Iterator[Upkeep]:
    """The scenario's rotations, laid-out archives and open TLS connection (closed when the scenario ends)."""
    state = Upkeep()
    yield state
    if state.tls is not None:
        state.tls.close()


@when(parsers.parse("the logs are rotated keeping {keep:d} archive per log"))
def rotate_keeping(upkeep: Upkeep, maintenance_drill: MaintenanceDrill, keep: int) -> None:
    """The log-rotation procedure with a retention of ``keep``."""
    upkeep.rotations.append(maintenance_drill.run("log-rotation", keep=keep))


@when(parsers.parse("the certificate is renewed for {days:d} days"))
def renew(maintenance_drill: MaintenanceDrill, days: int) -> None:
    """The certificate-renewal procedure."""
    maintenance_drill.run("certificate-renewal", valid_days=days)


@when("a TLS connection to the edge is open")
def tls_connection(upkeep: Upkeep, target: Target) -> None:
    """A client connected over TLS before a renewal (it must not be dropped by it)."""
    from opsready.targets.maintenance import maintenance_of

    endpoint = maintenance_of(target).certificate().endpoint
    port = int(endpoint.rsplit(":", 1)[1])
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
    upkeep.tls = tls


@then("every rotated log reads back in full and was reopened")
def logs_intact(upkeep: Upkeep) -> None:
    """Each archive decompresses to the bytes the log held; supervisord opened a fresh log in its place."""
    rotations = upkeep.rotations
    assert rotations, "no rotation ran"
    rotated = [r for record in rotations for r in (record.rotation.rotated if record.rotation else ())]
    assert rotated, "nothing was rotated"
    for log in rotated:
        if log.archive.exists():
            with gzip.open(log.archive, "rb") as fh:
                assert len(fh.read()) == log.size_bytes, log
        assert (log.archive.parent.parent / f"{log.name}.log").exists(), f"{log.name}.log was not reopened"


@when("archives of earlier rotations lie beside them")
def old_archives(upkeep: Upkeep) -> None:
    """Archives as earlier rotations left them (named by an older UTC time, as the procedure names its own)."""
    rotated = [log for record in upkeep.rotations for log in (record.rotation.rotated if record.rotation else ())]
    latest = upkeep.rotations[-1].rotation if upkeep.rotations else None
    assert latest is not None and latest.rotated, "rotate first"
    archive_dir = latest.rotated[0].archive.parent
    names = {log.name for log in rotated}
    old = []
    for name in sorted(names):
        for day in ("01", "02"):
            path = archive_dir / f"{name}-202601{day}T000000000000Z.log.gz"
            with gzip.open(path, "wb") as fh:
                fh.write(b"an old line\n")
            old.append(path)
    upkeep.old_archives = old


@then(parsers.parse("the earlier archives were removed and at most {keep:d} archive per log is kept"))
def retention(upkeep: Upkeep, maintenance_drill: MaintenanceDrill, keep: int) -> None:
    """The retention removed the oldest archives first and left ``keep`` per program."""
    old = upkeep.old_archives
    assert old, "no earlier archives were laid out"
    last = maintenance_drill.last.rotation
    assert last is not None, maintenance_drill.last.summary()
    assert set(old) <= set(last.removed), f"left behind: {sorted(set(old) - set(last.removed))}"
    assert not any(path.exists() for path in old)
    archive_dir = old[0].parent
    for path in old:
        name = path.name.rsplit("-", 1)[0]
        kept = list(archive_dir.glob(f"{name}-*.log.gz"))
        assert 1 <= len(kept) <= keep, (name, kept)


@then(parsers.parse("the certificate check warns that it expires within {days:d} days"))
def certificate_warns(maintenance_drill: MaintenanceDrill, days: int) -> None:
    """A certificate inside the warning period fails the check, with the days left measured."""
    record = maintenance_drill.last
    assert record.procedure == "certificate-check" and record.outcome == "failed", record.summary()
    assert record.certificate is not None and 0 < record.certificate.days_left <= days, record.certificate
    assert "WARNING" in record.validation


@then(parsers.parse("the served certificate verifies and is valid for {days:d} days"))
def certificate_ok(maintenance_drill: MaintenanceDrill, days: int) -> None:
    """A real handshake presents a certificate that verifies, with the validity measured."""
    cert = maintenance_drill.last.certificate
    assert cert is not None and cert.verified, cert
    assert abs(cert.days_left - days) < 1, cert


@then("the TLS connection opened before the renewal still works")
def tls_survived(upkeep: Upkeep) -> None:
    """Renewal reloads the certificate for new handshakes only: an open connection carries on."""
    tls, upkeep.tls = upkeep.tls, None
    assert tls is not None, "no TLS connection was opened before"
    with tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head = tls.recv(64)
    assert head.startswith(b"HTTP/1.1 200"), head


@then("the database integrity check passed")
def integrity(maintenance_drill: MaintenanceDrill) -> None:
    """Housekeeping verified the database's integrity."""
    done = maintenance_drill.last.housekeeping
    assert done is not None and done.integrity.startswith("ok"), done
