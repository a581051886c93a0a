"""TLS on the sandbox edge: a generated certificate, the supervised TLS listener, and what it really serves.

The TLS listener (:mod:`opsready.sandbox.tlsedge`) is added to the running supervisord on first use: its program
section is appended to the generated supervisord.conf and supervisord is asked to reread it and add the group, so
it lives in the sandbox's session and ``down`` stops it like every other program. ``up`` rewrites the conf, so after
a restart the listener comes back the next time a certificate is checked. The certificate stays in ``tls/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from opsready.errors import TargetError
from opsready.processes import free_port
from opsready.sandbox.layout import HOST, port_taken, refuse_taken
from opsready.sandbox.supervisor import Program, render_conf
from opsready.targets.maintenance import Certificate

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox

PROGRAM = "edge_tls"
FIXED_PORT = 18443
DEFAULT_VALID_DAYS = 90
SERVER_NAME = "localhost"


def _dir(sandbox: Sandbox) -> Path:
    return sandbox.layout.state / "tls"


def cert_paths(sandbox: Sandbox) -> tuple[Path, Path]:
    """The certificate and key files of the sandbox edge."""
    return _dir(sandbox) / "edge.crt", _dir(sandbox) / "edge.key"


def issue_certificate(cert_path: Path, key_path: Path, valid_days: int, now: dt.datetime | None = None) -> str:
    """Write a new self-signed certificate for localhost/127.0.0.1 (EC P-256) atomically; returns its serial (hex)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    start = (now or dt.datetime.now(tz=dt.UTC)) - dt.timedelta(minutes=1)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opsready sandbox edge")])
    serial = int.from_bytes(secrets.token_bytes(16), "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days, minutes=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for path, data, mode in (
        (key_path, key_bytes, 0o600),
        (cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644),
    ):
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return format(serial, "x")


def _port_file(sandbox: Sandbox) -> Path:
    return _dir(sandbox) / "edge.json"


def _choose_port(sandbox: Sandbox) -> int:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        recorded = int(json.loads(_port_file(sandbox).read_text())["port"])
        if not port_taken(recorded):
            return recorded
    if sandbox.options.ports == "fixed":
        refuse_taken(PROGRAM, FIXED_PORT)
        return FIXED_PORT
    return free_port()


def _running_port(sandbox: Sandbox) -> int | None:
    sup = sandbox.supervisor()
    names = {str(i["name"]): str(i["statename"]) for i in sup.all_info()}
    if names.get(PROGRAM) != "RUNNING":
        return None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return int(json.loads(_port_file(sandbox).read_text())["port"])
    return None


def ensure_tls_edge(sandbox: Sandbox) -> int:
    """Make sure the TLS listener runs (issuing a certificate first if there is none); returns its port."""
    with sandbox.locked():
        running = _running_port(sandbox)
        if running is not None:
            return running
        cert, key = cert_paths(sandbox)
        if not cert.is_file() or not key.is_file():
            issue_certificate(cert, key, DEFAULT_VALID_DAYS)
        sup = sandbox.supervisor()
        known = {str(i["name"]) for i in sup.all_info()}
        if PROGRAM not in known:
            conf = sandbox.layout.supervisor_conf
            written = re.search(rf"\[program:{PROGRAM}\][^\[]*--listen {HOST}:(\d+)", conf.read_text(encoding="utf-8"))
            port = int(written.group(1)) if written else _choose_port(sandbox)  # an earlier attempt may have added it
            _port_file(sandbox).write_text(json.dumps({"port": port}) + "\n")
            if written is None:
                program = Program(
                    PROGRAM,
                    f"{sys.executable} -m opsready.sandbox.tlsedge --listen {HOST}:{port} "
                    f"--upstream {HOST}:{sandbox.ports().edge} --cert {cert} --key {key}",
                    priority=60,
                    environment=(("PYTHONUNBUFFERED", "1"),),
                )
                text = render_conf(sandbox.layout, [program])
                with conf.open("a", encoding="utf-8") as fh:
                    fh.write("\n" + text[text.index(f"[program:{PROGRAM}]") :])  # our section, supervisord's format
            sup.call("reloadConfig")
            sup.call("addProcessGroup", PROGRAM)
        port = int(json.loads(_port_file(sandbox).read_text())["port"])
        sup.start(PROGRAM)
    _wait_handshake(port, 15.0)
    return port


def _wait_handshake(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            fetch_certificate(HOST, port, None)
            return
        except (OSError, ssl.SSLError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    raise TargetError(f"the TLS edge on port {port} did not complete a handshake within {timeout:.0f} s ({last})")


def fetch_certificate(host: str, port: int, ca_file: Path | None, timeout: float = 5.0) -> Certificate:
    """The certificate a real TLS handshake on ``host:port`` presents; ``verified`` when it checks out against
    ``ca_file`` for :data:`SERVER_NAME` (an expired or foreign certificate does not)."""
    from cryptography import x509

    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    plain.check_hostname = False
    plain.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as sock,
        plain.wrap_socket(sock, server_hostname=SERVER_NAME) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise TargetError(f"{host}:{port} presented no certificate")
    cert = x509.load_der_x509_certificate(der)
    verified = False
    if ca_file is not None:
        strict = ssl.create_default_context(cafile=str(ca_file))
        try:
            with (
                socket.create_connection((host, port), timeout=timeout) as sock,
                strict.wrap_socket(sock, server_hostname=SERVER_NAME),
            ):
                verified = True
        except ssl.SSLError:
            verified = False
    not_after = cert.not_valid_after_utc
    days_left = (not_after - dt.datetime.now(tz=dt.UTC)).total_seconds() / 86400
    return Certificate(
        endpoint=f"https://{SERVER_NAME}:{port}",
        subject=cert.subject.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
        not_after=not_after.isoformat().replace("+00:00", "Z"),
        days_left=round(days_left, 3),
        verified=verified,
    )


def served_certificate(sandbox: Sandbox) -> Certificate:
    """The certificate the sandbox edge serves now (starting the TLS listener when it is not running)."""
    port = ensure_tls_edge(sandbox)
    return fetch_certificate(HOST, port, cert_paths(sandbox)[0])


def renew_certificate(sandbox: Sandbox, valid_days: int, timeout: float = 10.0) -> Certificate:
    """Issue a new certificate, have the listener load it (SIGHUP: open connections stay), wait until it is served."""
    port = ensure_tls_edge(sandbox)
    cert, key = cert_paths(sandbox)
    with sandbox.locked():
        serial = issue_certificate(cert, key, valid_days)
        sandbox.supervisor().signal(PROGRAM, "HUP")
    deadline = time.monotonic() + timeout
    served = fetch_certificate(HOST, port, cert)
    while served.serial != serial and time.monotonic() < deadline:
        time.sleep(0.05)
        served = fetch_certificate(HOST, port, cert)
    if served.serial != serial:
        raise TargetError(f"the TLS edge still serves certificate {served.serial} after the renewal to {serial}")
    return served
