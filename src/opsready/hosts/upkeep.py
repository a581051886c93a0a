"""Upkeep of one host over SSH: log rotation, disk usage and a certificate file's expiry, each one remote command.

Log rotation copies each log into ``<log>.<UTC stamp>.gz``, then empties the log in place (copy-and-truncate, as
logrotate's ``copytruncate``: the service keeps its open file; a line written between the copy and the truncation
is lost), tests each archive with ``gzip -t`` where it lives, and keeps the newest ``keep`` archives per log.
Disk usage is ``df -P -B1`` of the configured paths plus ``du -sb`` of the target's own files. A certificate is
read with ``openssl x509`` on the host, its days left counted by the host's clock, and checked with
``openssl verify -verify_hostname``.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable
from pathlib import Path

from opsready.errors import HostError
from opsready.hosts.connection import RemoteResult
from opsready.hosts.maintenance_options import CertificateFile
from opsready.targets.maintenance import Certificate, DiskUsage, RotatedLog

# what a step runs: (what, command, timeout) -> the result of a command that exited 0 (else a HostError)
Step = Callable[[str, str, float], RemoteResult]

_ROTATE = r"""
keep=$1; stamp=$2; shift 2
for pattern in "$@"; do
  for f in $pattern; do
    case "$f" in *.gz|*.partial) continue;; esac
    [ -f "$f" ] || continue
    a="$f.$stamp.gz"
    gzip -c -- "$f" > "$a.partial"
    mv -- "$a.partial" "$a"
    : > "$f"
    if gzip -t -- "$a" 2>/dev/null; then ok=1; else ok=0; fi
    printf 'rotated\t%s\t%s\t%s\t%s\n' "$f" "$a" "$(stat -c %s -- "$a")" "$ok"
    ls -1 -- "$f".*.gz | sort -r | tail -n +$((keep + 1)) | while IFS= read -r old; do
      rm -f -- "$old" && printf 'removed\t%s\n' "$old"
    done
  done
done
"""


def rotate_logs(
    step: Step, host: str, patterns: tuple[str, ...], *, keep: int, stamp: str, timeout: float
) -> tuple[tuple[RotatedLog, ...], tuple[Path, ...]]:
    """Rotate the logs matching ``patterns`` on ``host``: the archives made and the old ones removed."""
    command = shlex.join(["sh", "-c", _ROTATE, "rotate", str(keep), stamp, *patterns])
    out = step("rotating logs", command, timeout).stdout
    rotated, removed = [], []
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "rotated" and len(fields) == 5:
            rotated.append(RotatedLog(f"{host}:{fields[1]}", Path(fields[2]), int(fields[3]), fields[4] == "1"))
        elif fields[0] == "removed" and len(fields) == 2:
            removed.append(Path(fields[1]))
    return tuple(rotated), tuple(removed)


def disk_usage(step: Step, host: str, paths: tuple[str, ...], own: tuple[str, ...], timeout: float) -> list[DiskUsage]:
    """Each distinct filesystem holding ``paths`` on ``host``, with the bytes of ``own`` (globs) on that host."""
    sizes = f"du -sb -- {' '.join(own)} 2>/dev/null || true" if own else "true"
    command = f"df -P -B1 -- {' '.join(shlex.quote(p) for p in paths)} && echo --- && {sizes}"
    out = step("measuring disk usage", command, timeout).stdout
    head, _, tail = out.partition("---\n")
    own_bytes = []
    for line in tail.splitlines():
        size, _, path = line.partition("\t")
        if size.isdigit():
            own_bytes.append((f"{host}:{path}", int(size)))
    found: dict[str, DiskUsage] = {}
    for line in head.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6 or not fields[1].isdigit():
            raise HostError(f"measuring disk usage: unreadable df line {line!r}", host)
        mount = " ".join(fields[5:])
        total, used, free = int(fields[1]), int(fields[2]), int(fields[3])
        found[mount] = DiskUsage(Path(mount), total, used, free, tuple(own_bytes), f"{host}:{mount}")
    return list(found.values())


_CERT = r"""
cert=$1; name=$2; ca=$3
openssl x509 -in "$cert" -noout -subject -serial -startdate -enddate -nameopt RFC2253
echo "now=$(date -u +%s)"
if [ -n "$ca" ]; then set -- -CAfile "$ca"; else set --; fi
if openssl verify "$@" -verify_hostname "$name" -- "$cert" >/dev/null 2>&1
then echo verified=1
else echo verified=0
fi
"""


def _openssl_time(text: str, host: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y GMT").replace(tzinfo=dt.UTC)
    except ValueError:
        raise HostError(f"reading the certificate: unreadable date {text!r}", host) from None


def certificate(step: Step, host: str, cert: CertificateFile, timeout: float) -> Certificate:
    """The certificate file on ``host``: subject, serial, validity, days left by the host's clock, and whether it
    verifies for the configured name."""
    command = shlex.join(["sh", "-c", _CERT, "cert", cert.path, cert.name, cert.ca or ""])
    out = step(f"reading the certificate {cert.path}", command, timeout).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    missing = [k for k in ("subject", "serial", "notBefore", "notAfter", "now", "verified") if k not in values]
    if missing:
        raise HostError(f"reading the certificate {cert.path}: openssl did not say {', '.join(missing)}", host)
    not_before, not_after = _openssl_time(values["notBefore"], host), _openssl_time(values["notAfter"], host)
    now = dt.datetime.fromtimestamp(int(values["now"]), dt.UTC)
    return Certificate(
        endpoint=f"{host}:{cert.path} ({cert.name})",
        subject=values["subject"].strip(),
        serial=values["serial"].strip(),
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        days_left=(not_after - now).total_seconds() / 86400,
        verified=values["verified"].strip() == "1",
    )
