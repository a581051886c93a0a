"""Steps of the upkeep runbooks: log rotation, database integrity, and the edge's TLS certificate."""

from __future__ import annotations

import gzip
import socket
import ssl

from pytest_bdd import parsers, then, when

from opsready.bdd.common import Drill
from opsready.bdd.maintenance import MaintenanceDrill, record_of
from opsready.targets.protocol import Target


@when(parsers.parse("the logs are rotated keeping {keep:d} archive per log"))
def rotate_keeping(drill: Drill, maintenance_drill: MaintenanceDrill, keep: int) -> None:
    """The log-rotation procedure with a retention of ``keep``."""
    record = maintenance_drill.run("log-rotation", keep=keep)
    drill.facts.setdefault("rotations", []).append(record)  # type: ignore[attr-defined]


@when(parsers.parse("the certificate is renewed for {days:d} days"))
def renew(maintenance_drill: MaintenanceDrill, days: int) -> None:
    """The certificate-renewal procedure."""
    maintenance_drill.run("certificate-renewal", valid_days=days)


@when("a TLS connection to the edge is open")
def tls_connection(drill: Drill, target: Target) -> None:
    """A client connected over TLS before a renewal (it must not be dropped by it)."""
    from opsready.targets.maintenance import maintenance_of

    endpoint = maintenance_of(target).certificate().endpoint
    port = int(endpoint.rsplit(":", 1)[1])
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
    drill.facts["tls"] = tls


@then("every rotated log reads back in full and was reopened")
def logs_intact(drill: Drill) -> None:
    """Each archive decompresses to the bytes the log held; supervisord opened a fresh log in its place."""
    rotations = drill.facts.get("rotations")
    assert isinstance(rotations, list) and rotations, "no rotation ran"
    rotated = [r for record in rotations for r in (record.rotation.rotated if record.rotation else ())]
    assert rotated, "nothing was rotated"
    for log in rotated:
        if log.archive.exists():
            with gzip.open(log.archive, "rb") as fh:
                assert len(fh.read()) == log.size_bytes, log
        assert (log.archive.parent.parent / f"{log.name}.log").exists(), f"{log.name}.log was not reopened"


@when("archives of earlier rotations lie beside them")
def old_archives(drill: Drill) -> None:
    """Archives as earlier rotations left them (named by an older UTC time, as the procedure names its own)."""
    rotations = drill.facts.get("rotations")
    assert isinstance(rotations, list) and rotations and rotations[-1].rotation.rotated, "rotate first"
    archive_dir = rotations[-1].rotation.rotated[0].archive.parent
    names = {log.name for record in rotations for log in record.rotation.rotated}
    old = []
    for name in sorted(names):
        for day in ("01", "02"):
            path = archive_dir / f"{name}-202601{day}T000000000000Z.log.gz"
            with gzip.open(path, "wb") as fh:
                fh.write(b"an old line\n")
            old.append(path)
    drill.facts["old_archives"] = old


@then(parsers.parse("the earlier archives were removed and at most {keep:d} archive per log is kept"))
def retention(drill: Drill, keep: int) -> None:
    """The retention removed the oldest archives first and left ``keep`` per program."""
    old = drill.facts.get("old_archives")
    assert isinstance(old, list) and old, "no earlier archives were laid out"
    last = record_of(drill).rotation
    assert last is not None, record_of(drill).summary()
    assert set(old) <= set(last.removed), f"left behind: {sorted(set(old) - set(last.removed))}"
    assert not any(path.exists() for path in old)
    archive_dir = old[0].parent
    for path in old:
        name = path.name.rsplit("-", 1)[0]
        kept = list(archive_dir.glob(f"{name}-*.log.gz"))
        assert 1 <= len(kept) <= keep, (name, kept)


@then(parsers.parse("the certificate check warns that it expires within {days:d} days"))
def certificate_warns(drill: Drill, days: int) -> None:
    """A certificate inside the warning period fails the check, with the days left measured."""
    record = record_of(drill)
    assert record.procedure == "certificate-check" and record.outcome == "failed", record.summary()
    assert record.certificate is not None and 0 < record.certificate.days_left <= days, record.certificate
    assert "WARNING" in record.validation


@then(parsers.parse("the served certificate verifies and is valid for {days:d} days"))
def certificate_ok(drill: Drill, days: int) -> None:
    """A real handshake presents a certificate that verifies, with the validity measured."""
    cert = record_of(drill).certificate
    assert cert is not None and cert.verified, cert
    assert abs(cert.days_left - days) < 1, cert


@then("the TLS connection opened before the renewal still works")
def tls_survived(drill: Drill) -> None:
    """Renewal reloads the certificate for new handshakes only: an open connection carries on."""
    tls = drill.facts.pop("tls")
    assert isinstance(tls, ssl.SSLSocket)
    with tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head = tls.recv(64)
    assert head.startswith(b"HTTP/1.1 200"), head


@then("the database integrity check passed")
def integrity(drill: Drill) -> None:
    """Housekeeping verified the database's integrity."""
    done = record_of(drill).housekeeping
    assert done is not None and done.integrity.startswith("ok"), done
