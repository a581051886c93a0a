"""Maintenance operations a target may support: backups, verified restores, housekeeping, logs, disk, TLS.

An optional protocol beside :class:`~opsready.targets.protocol.Target`: a target that can be maintained offers
``maintenance_ops()``; the maintenance procedures reach it through :func:`maintenance_of` and never learn which
platform they drive. Every operation returns a frozen result made of what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from opsready.errors import UsageError
from opsready.targets.protocol import Target


@dataclass(frozen=True)
class DataDigest:
    """The orders in a database: how many, the highest id, and the checksum over (id, item, quantity)."""

    orders: int
    last_id: int | None
    checksum: str


@dataclass(frozen=True)
class Backup:
    """A backup file and the digest of exactly the data it holds (taken in the same snapshot)."""

    path: Path
    engine: str
    tool: str
    size_bytes: int
    seconds: float
    digest: DataDigest
    taken_at: str  # wall clock, ISO 8601 UTC


@dataclass(frozen=True)
class RestoreCheck:
    """A backup restored into a scratch database and compared with what the backup promised."""

    backup: Path
    scratch: str
    expected: DataDigest
    restored: DataDigest
    seconds: float
    scratch_removed: bool

    @property
    def ok(self) -> bool:
        """Same number of orders, same last id and same checksum: nothing lost, nothing changed."""
        return self.expected == self.restored


@dataclass(frozen=True)
class Housekeeping:
    """Database housekeeping (VACUUM/ANALYZE or the SQLite equivalent) and its effect."""

    engine: str
    operations: tuple[str, ...]
    size_before: int
    size_after: int
    integrity: str
    seconds: float


@dataclass(frozen=True)
class RotatedLog:
    """One log file rotated: the archive it went to and how big it was."""

    name: str
    archive: Path
    size_bytes: int
    # the archive read back in full as gzip where it lives (a remote host); None: it is on this machine, and the
    # procedure reads it back itself
    reads_back: bool | None = None


@dataclass(frozen=True)
class LogRotation:
    """Logs rotated now, and archives removed because more than ``keep`` per log were kept."""

    rotated: tuple[RotatedLog, ...]
    removed: tuple[Path, ...]
    keep: int


@dataclass(frozen=True)
class DiskUsage:
    """The filesystem holding the target's state, and how much of it the target itself uses."""

    path: Path
    total_bytes: int
    used_bytes: int
    free_bytes: int
    target_bytes: tuple[tuple[str, int], ...]  # (area, bytes): database, logs, backups, ...
    # where the filesystem is when the target spans machines ('db:/srv'; empty: this machine's state directory);
    # a fleet reports its fullest filesystem here and every one it measured in ``filesystems``
    where: str = ""
    filesystems: tuple[DiskUsage, ...] = ()

    @property
    def used_fraction(self) -> float:
        """Share of the usable filesystem in use (by anyone), like df's Use%."""
        usable = self.used_bytes + self.free_bytes  # as df counts: blocks reserved for root are not usable
        return self.used_bytes / usable if usable else 1.0


@dataclass(frozen=True)
class Certificate:
    """The TLS certificate a target serves, as read from a real handshake."""

    endpoint: str
    subject: str
    serial: str
    not_before: str  # ISO 8601 UTC
    not_after: str  # ISO 8601 UTC
    days_left: float
    verified: bool  # the served chain verifies for the endpoint's host name


class MaintenanceOps(Protocol):
    """The platform operations maintenance procedures need."""

    def backup(self, directory: Path | None = None) -> Backup:
        """Take an online backup (into ``directory``, or the target's own backup place)."""
        ...

    def verify_restore(self, backup: Backup) -> RestoreCheck:
        """Restore ``backup`` into a scratch database, compare it with the backup's digest, remove the scratch."""
        ...

    def housekeeping(self) -> Housekeeping:
        """Reclaim space and refresh planner statistics on the live database, without downtime."""
        ...

    def rotate_logs(self, keep: int) -> LogRotation:
        """Archive each log and start it afresh, keeping at most ``keep`` archives per log."""
        ...

    def disk_usage(self) -> DiskUsage:
        """How full the filesystem holding the target's state is (read-only)."""
        ...

    def certificate(self) -> Certificate:
        """The certificate the target's TLS endpoint serves (starting that endpoint when it can)."""
        ...

    def renew_certificate(self, valid_days: int) -> Certificate:
        """Issue a new certificate valid for ``valid_days`` and serve it without dropping connections."""
        ...


@runtime_checkable
class SupportsMaintenance(Protocol):
    """A target that offers maintenance operations."""

    def maintenance_ops(self) -> MaintenanceOps:
        """The maintenance operations of this target."""
        ...


def maintenance_of(target: Target) -> MaintenanceOps:
    """The maintenance operations of ``target``; a :class:`UsageError` when its platform has none."""
    if not isinstance(target, SupportsMaintenance):
        raise UsageError(
            f"target '{target.name}' ({target.platform}) offers no maintenance operations in this version of opsready"
        )
    return target.maintenance_ops()
