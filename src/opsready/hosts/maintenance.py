"""The hosts target's maintenance operations (:class:`~opsready.targets.maintenance.MaintenanceOps`), over SSH.

What applies to machines: a backup of the database host's database with a verified restore
(:mod:`opsready.hosts.dbbackup`), housekeeping of that database, log rotation on every host of a role, disk usage of
every host, and a certificate file's expiry read on the hosts (:mod:`opsready.hosts.upkeep`). Every operation is a
remote command over the target's SSH connections, under a time limit, through ``sudo -n`` when the target says so;
a failure is a :class:`~opsready.errors.HostError` naming the host and the step. Patching is the target's rolling
deploy (the maintenance capability uses it through :func:`~opsready.targets.rolling.rolling_of`). Renewing a
certificate is the team's own CA's work: refused with a clear message.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable
from pathlib import Path

from opsready.errors import HostError, UsageError
from opsready.hosts import dbbackup, upkeep
from opsready.hosts.connection import HostConnection, RemoteResult
from opsready.hosts.maintenance_options import DatabaseMaintenance, HostsMaintenance
from opsready.hosts.messages import redact
from opsready.hosts.options import HostEntry, HostsOptions
from opsready.targets.maintenance import (
    Backup,
    Certificate,
    DiskUsage,
    Housekeeping,
    LogRotation,
    RestoreCheck,
    RotatedLog,
)

DEFAULT = HostsMaintenance(database=None, logs={}, disk=("/",), certificate=None, timeout=60.0)
Connect = Callable[[str], HostConnection]  # the target's open, checked connection to one of its hosts


def _stamp() -> tuple[str, str]:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ"), now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HostsMaintenanceOps:
    """Backups, restores, housekeeping, logs, disk and certificates of one hosts target."""

    def __init__(self, name: str, options: HostsOptions, connection: Connect) -> None:
        self.name = name
        self.options = options
        self.connection = connection
        # without a section: disk usage of / on every host still works; what needs configuring says so when asked
        self.settings: HostsMaintenance = options.maintenance or DEFAULT

    def _step(self, entry: HostEntry) -> upkeep.Step:
        """A step runner bound to one host."""

        def step(what: str, command: str, timeout: float) -> RemoteResult:
            return run_step(self.connection(entry.name), self.options.sudo, what, command, timeout)

        return step

    def _database(self) -> tuple[HostEntry, DatabaseMaintenance]:
        db = self.settings.database
        if db is None:
            raise UsageError(
                f"target '{self.name}' says nothing about its database (maintenance.database): say what it is "
                "and where its backups go (docs/hosts.md, Maintenance on hosts)",
                self.options.loc,
            )
        return self.options.role("database")[0], db

    # -- database ----------------------------------------------------------------------------------------------------
    def backup(self, directory: Path | None = None) -> Backup:
        """An online backup on the database host (into ``directory`` on that host, else ``database.backups``)."""
        entry, db = self._database()
        folder = str(directory) if directory is not None else db.backups
        if directory is not None and (not folder.startswith("/") or any(c in folder for c in " '\"$`\\\n")):
            raise UsageError(f"backup directory {folder!r} must be an absolute path on {entry.name} without quotes")
        stamp, wall = _stamp()
        return dbbackup.take_backup(self._step(entry), db, folder, stamp, wall)

    def verify_restore(self, backup: Backup) -> RestoreCheck:
        """Restore into a scratch database beside the backups on the database host; compare; remove the scratch."""
        entry, db = self._database()
        return dbbackup.verify_restore(self._step(entry), db, backup, _stamp()[0], entry.name)

    def housekeeping(self) -> Housekeeping:
        """VACUUM and ANALYZE on the database host, with an integrity check."""
        entry, db = self._database()
        before, after, integrity, seconds = dbbackup.housekeeping(self._step(entry), db)
        return Housekeeping(f"{db.engine} on {entry.name}", ("VACUUM", "ANALYZE"), before, after, integrity, seconds)

    # -- hosts -------------------------------------------------------------------------------------------------------
    def rotate_logs(self, keep: int) -> LogRotation:
        """Rotate the configured logs on every host of each role, keeping ``keep`` archives per log."""
        if keep < 1:
            raise UsageError(f"keep at least one archive per log (got {keep})")
        if not self.settings.logs:
            raise UsageError(f"target '{self.name}' names no logs to rotate (maintenance.logs)")
        stamp = _stamp()[0]
        rotated: list[RotatedLog] = []
        removed: list[Path] = []
        for role, patterns in self.settings.logs.items():
            for entry in self.options.role(role):
                made, gone = upkeep.rotate_logs(
                    self._step(entry), entry.name, patterns, keep=keep, stamp=stamp, timeout=self.settings.timeout
                )
                rotated += made
                removed += gone
        return LogRotation(tuple(rotated), tuple(removed), keep)

    def _own(self, entry: HostEntry) -> tuple[str, ...]:
        """The target's own files on ``entry``: its logs, and on the database host the database and its backups."""
        own = list(self.settings.logs.get(entry.role, ()))
        db = self.settings.database
        if db is not None and entry == self._database()[0]:
            own += [db.path, db.backups]
        return tuple(own)

    def disk_usage(self) -> DiskUsage:
        """Every host's filesystems; the fullest first, each one in ``filesystems``."""
        found: list[DiskUsage] = []
        for entry in self.options.hosts:
            found += upkeep.disk_usage(
                self._step(entry), entry.name, self.settings.disk, self._own(entry), self.settings.timeout
            )
        fullest = max(found, key=lambda d: d.used_fraction)
        own = tuple(item for d in found for item in d.target_bytes)
        unique_own = tuple(dict.fromkeys(own))
        return DiskUsage(
            fullest.path,
            fullest.total_bytes,
            fullest.used_bytes,
            fullest.free_bytes,
            unique_own,
            fullest.where,
            tuple(found),
        )

    def certificate(self) -> Certificate:
        """The certificate file on each host of its role; the one that expires first (or does not verify)."""
        cert = self.settings.certificate
        if cert is None:
            raise UsageError(f"target '{self.name}' names no certificate file (maintenance.certificate)")
        read = [
            upkeep.certificate(self._step(e), e.name, cert, self.settings.timeout) for e in self.options.role(cert.role)
        ]
        return min(read, key=lambda c: (c.verified, c.days_left))

    def renew_certificate(self, valid_days: int) -> Certificate:
        """Refused: a fleet's certificates come from the team's own CA; opsready reads their expiry."""
        raise UsageError(
            f"target '{self.name}': renewing a certificate on hosts is not supported; "
            "issue it with your CA and install it, then run 'certificate-check'"
        )


def run_step(conn: HostConnection, sudo: bool, what: str, command: str, timeout: float) -> RemoteResult:
    """Run ``command`` on the host as the step ``what`` within ``timeout``; a failure names the host and the step."""
    wrapped = f"sudo -n sh -c {shlex.quote(command)}" if sudo else command
    try:
        result = conn.run(wrapped, timeout)
    except HostError as exc:
        prefix = f"host {conn.name}: "
        message = exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message
        if "did not finish within" in message:  # the backend quotes the command: ours are scripts, not news
            message = f"did not finish within {timeout:g} s and was stopped"
        raise HostError(f"{what} failed: {message}", conn.name, hint=exc.hint) from None
    if not result.succeeded:
        lines = result.stderr.strip().splitlines()
        detail = redact(lines[-1]) if lines else f"no message, exit {result.exit_status}"  # key material never shown
        raise HostError(f"{what} failed (exit {result.exit_status}): {detail}", conn.name)
    return result
