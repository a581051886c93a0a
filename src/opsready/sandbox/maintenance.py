"""The sandbox's maintenance operations (:class:`~opsready.targets.maintenance.MaintenanceOps`)."""

from __future__ import annotations

import contextlib
import sqlite3
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from opsready.errors import TargetError, UsageError
from opsready.sandbox import backup, tls, upkeep
from opsready.targets.maintenance import Backup, Certificate, DiskUsage, Housekeeping, LogRotation, RestoreCheck

if TYPE_CHECKING:
    from opsready.sandbox.manager import Sandbox


@contextlib.contextmanager
def _platform_errors(what: str) -> Iterator[None]:
    """Driver, tool and socket failures become a TargetError naming the operation (never a traceback)."""
    import psycopg

    try:
        yield
    except (psycopg.Error, sqlite3.Error, ssl.SSLError, OSError, subprocess.SubprocessError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TargetError(f"{what} failed: {detail}") from exc


class SandboxMaintenance:
    """Backups, restores, housekeeping, logs, disk and TLS of one running sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def backup(self, directory: Path | None = None) -> Backup:
        """pg_dump in an exported snapshot (PostgreSQL) or the online backup API (SQLite)."""
        self.sandbox.ports()  # a clear error when the sandbox is down
        with _platform_errors("backup"):
            return backup.take_backup(self.sandbox, directory)

    def verify_restore(self, taken: Backup) -> RestoreCheck:
        """Restore into a scratch database, digest it, drop the scratch."""
        self.sandbox.ports()
        with _platform_errors("restore verification"):
            return backup.verify_restore(self.sandbox, taken)

    def housekeeping(self) -> Housekeeping:
        """VACUUM (ANALYZE) online, or the SQLite equivalent."""
        self.sandbox.ports()
        with _platform_errors("housekeeping"):
            return upkeep.housekeeping(self.sandbox)

    def rotate_logs(self, keep: int) -> LogRotation:
        """Rotate every program log through supervisord."""
        if keep < 1:
            raise UsageError(f"keep at least one archive per log (got {keep})")
        with _platform_errors("log rotation"):
            return upkeep.rotate_logs(self.sandbox, keep)

    def disk_usage(self) -> DiskUsage:
        """The state directory's filesystem and the sandbox's bytes by area."""
        with _platform_errors("disk usage"):
            return upkeep.disk_usage(self.sandbox)

    def certificate(self) -> Certificate:
        """The certificate the TLS edge serves (started on first use)."""
        with _platform_errors("certificate check"):
            return tls.served_certificate(self.sandbox)

    def renew_certificate(self, valid_days: int) -> Certificate:
        """A new certificate, served without dropping connections."""
        if valid_days < 1:
            raise UsageError(f"a certificate must be valid for at least one day (got {valid_days})")
        with _platform_errors("certificate renewal"):
            return tls.renew_certificate(self.sandbox, valid_days)
