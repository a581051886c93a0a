"""The maintenance procedures: what each one does to the target and how it proves the work succeeded.

Each procedure is a runbook in runbooks/maintenance/ and a function here that does the work through the target's
maintenance operations and returns a :class:`Work` with its own validation (a backup is only good once a restore of
it matched; a renewed certificate only once a real handshake presents it).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from opsready.config import Config
from opsready.config.monitoring import Component
from opsready.durations import format_duration
from opsready.maintenance.patch import PatchOutcome, apply_patch
from opsready.targets.maintenance import (
    Backup,
    Certificate,
    DiskUsage,
    Housekeeping,
    LogRotation,
    RestoreCheck,
    maintenance_of,
)
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MaintenanceRequest:
    """What the operator asked for."""

    procedure: str
    release: str = ""
    force_reason: str = ""
    backup_dir: Path | None = None
    valid_days: int = 90
    keep: int | None = None
    planned: float | None = None
    allow_destructive: bool = False  # --allow-destructive: consent for a real target (see opsready.safety)


# how a maintenance ended: aborted means a pre-check failed and nothing was changed
Outcome = Literal["succeeded", "failed", "rolled_back", "aborted"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass(frozen=True)
class Work:
    """What a procedure's work produced, and its own verdict on it."""

    outcome: Outcome
    validation: str
    backup: Backup | None = None
    restore: RestoreCheck | None = None
    housekeeping: Housekeeping | None = None
    rotation: LogRotation | None = None
    disk: DiskUsage | None = None
    certificate: Certificate | None = None
    patch: PatchOutcome | None = None


@dataclass(frozen=True)
class Context:
    """Everything a procedure's work may use."""

    config: Config
    target: Target
    timeline: Timeline
    progress: Progress
    request: MaintenanceRequest


def _verdict(ok: bool) -> Outcome:
    return "succeeded" if ok else "failed"


def backup(ctx: Context) -> Work:
    """Back up online, restore into a scratch database, compare counts and checksums, drop the scratch."""
    ops = maintenance_of(ctx.target)
    ctx.progress("taking an online backup")
    taken = ops.backup(ctx.request.backup_dir)
    ctx.timeline.mark("backed_up", f"{taken.digest.orders} orders, {taken.size_bytes} bytes")
    ctx.progress(f"restoring {taken.path.name} into a scratch database")
    check = ops.verify_restore(taken)
    ctx.timeline.mark("restore_verified", f"{check.restored.orders} orders restored")
    ok = check.ok and check.scratch_removed
    if ok:
        text = (
            f"restored {check.restored.orders} orders into a scratch {check.scratch}: count, last id and checksum "
            f"{check.restored.checksum[:12]} match the backup; scratch removed"
        )
    else:
        text = (
            f"restore does NOT match the backup: expected {check.expected.orders} orders "
            f"({check.expected.checksum[:12]}), restored {check.restored.orders} ({check.restored.checksum[:12]})"
            + ("" if check.scratch_removed else f"; scratch {check.scratch} was not removed")
        )
    return Work(_verdict(ok), text, backup=taken, restore=check)


def housekeeping(ctx: Context) -> Work:
    """VACUUM/ANALYZE (or the SQLite equivalent) online, with an integrity check."""
    ctx.progress("database housekeeping")
    done = maintenance_of(ctx.target).housekeeping()
    ok = done.integrity.startswith("ok")
    text = (
        f"{', '.join(done.operations)} on {done.engine}: integrity {done.integrity}; "
        f"size {done.size_before / 1024**2:.1f} MiB -> {done.size_after / 1024**2:.1f} MiB"
    )
    return Work(_verdict(ok), text, housekeeping=done)


def _readable(path: Path) -> bool:
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 16):
                pass
    except (OSError, EOFError):
        return False
    return True


def log_rotation(ctx: Context) -> Work:
    """Rotate every program log; each archive must read back as gzip."""
    keep = ctx.request.keep or ctx.config.maintenance.log_keep
    ctx.progress(f"rotating logs (keeping {keep} archives per log)")
    rotation = maintenance_of(ctx.target).rotate_logs(keep)
    broken = [
        r.archive.name for r in rotation.rotated if not (_readable(r.archive) if r.reads_back is None else r.reads_back)
    ]
    archived = sum(r.size_bytes for r in rotation.rotated)
    text = (
        f"rotated {len(rotation.rotated)} log(s) ({archived / 1024:.1f} KiB archived), "
        f"removed {len(rotation.removed)} old archive(s)"
        + (f"; UNREADABLE archives: {', '.join(broken)}" if broken else "; every archive reads back")
    )
    return Work(_verdict(not broken), text, rotation=rotation)


def disk_check(ctx: Context) -> Work:
    """How full the disk is against the configured threshold."""
    usage = maintenance_of(ctx.target).disk_usage()
    limit = ctx.config.maintenance.disk_threshold
    own = ", ".join(f"{area} {size / 1024**2:.1f} MiB" for area, size in usage.target_bytes)
    where = f" on {usage.where}" if usage.where else ""
    others = (
        "; every filesystem: " + ", ".join(f"{fs.where or fs.path} {fs.used_fraction:.1%}" for fs in usage.filesystems)
        if len(usage.filesystems) > 1
        else ""
    )
    text = f"disk {usage.used_fraction:.1%} used{where} (threshold {limit:.0%}); target's own: {own}{others}"
    return Work(_verdict(usage.used_fraction <= limit), text, disk=usage)


def _describe_certificate(cert: Certificate) -> str:
    return (
        f"{cert.endpoint} serves serial {cert.serial[:12]} valid until {cert.not_after} "
        f"({cert.days_left:.1f} days left), {'verifies' if cert.verified else 'does NOT verify'}"
    )


def certificate_check(ctx: Context) -> Work:
    """The served certificate verifies and expires later than the warning period."""
    cert = maintenance_of(ctx.target).certificate()
    warn = ctx.config.maintenance.certificate_warn_days
    ok = cert.verified and cert.days_left > warn
    warning = "" if ok else f"; WARNING: renew it (warning period {warn} days)"
    return Work(_verdict(ok), _describe_certificate(cert) + warning, certificate=cert)


def certificate_renewal(ctx: Context) -> Work:
    """Issue and serve a new certificate; a real handshake must present it, valid for the requested days."""
    days = ctx.request.valid_days
    ctx.progress(f"renewing the certificate for {days} days")
    cert = maintenance_of(ctx.target).renew_certificate(days)
    ok = cert.verified and abs(cert.days_left - days) < 1
    return Work(_verdict(ok), "renewed: " + _describe_certificate(cert), certificate=cert)


def patch(ctx: Context) -> Work:
    """Roll the patch out, guard it, roll back automatically when it misbehaves."""
    outcome = apply_patch(ctx.config, ctx.target, ctx.request.release, ctx.timeline, ctx.progress)
    if outcome.hit is None:
        text = f"patch {outcome.release} serving after the soak (was {outcome.previous})"
        return Work("succeeded", text, patch=outcome)
    text = (
        f"patch {outcome.release} caught by {outcome.hit.trigger} ({outcome.hit.evidence}) and rolled back; "
        f"{outcome.serving} serving again"
    )
    return Work("rolled_back", text, patch=outcome)


@dataclass(frozen=True)
class Procedure:
    """A maintenance procedure: its runbook, planned duration, whether it changes the target, and its work."""

    name: str
    title: str
    runbook: str
    planned: float
    changes_target: bool
    work: Callable[[Context], Work]
    needs_release: bool = False
    checks_disk: bool = True  # the disk check's own verdict is its work, not a reason to abort it
    touches: tuple[Component, ...] = ()  # whose alerts its window silences (where the target allows silences)

    def describe(self) -> str:
        """'backup: Database backup with verified restore (runbook database-backup, planned 30 min 0 s)'."""
        return f"{self.name}: {self.title} (runbook {self.runbook}, planned {format_duration(self.planned)})"


PROCEDURES: dict[str, Procedure] = {
    p.name: p
    for p in (
        Procedure(
            "backup",
            "Database backup with verified restore",
            "database-backup",
            1800,
            True,
            backup,
            touches=("database",),
        ),
        Procedure(
            "housekeeping",
            "Database housekeeping",
            "database-housekeeping",
            1800,
            True,
            housekeeping,
            touches=("database",),
        ),
        Procedure("log-rotation", "Log rotation", "log-rotation", 900, True, log_rotation),
        Procedure("disk-check", "Disk usage check", "disk-usage", 300, False, disk_check, checks_disk=False),
        Procedure(
            "certificate-check", "TLS certificate expiry check", "certificate-expiry", 300, False, certificate_check
        ),
        Procedure(
            "certificate-renewal",
            "TLS certificate renewal",
            "certificate-expiry",
            900,
            True,
            certificate_renewal,
            touches=("edge",),
        ),
        Procedure(
            "patch",
            "Patch rollout with automatic rollback",
            "patching",
            3600,
            True,
            patch,
            needs_release=True,
            touches=("api",),
        ),
    )
}
