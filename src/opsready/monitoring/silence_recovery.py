"""Leftover silences: the journals of runs that are gone and left them open, and ``opsready recover``'s part in them
(expire each silence not yet ended, also one whose id never reached the journal, found by the run's tag)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsready.errors import OpsreadyError
from opsready.monitoring.silence_journal import Say, append_record
from opsready.monitoring.silences import SilenceClient
from opsready.processes import ProcessIdentity
from opsready.targets.protocol import quiet


@dataclass(frozen=True)
class SilenceLeftover:
    """A journal not closed: its run, whether that run still lives, its silences not yet ended."""

    path: Path
    alive: bool
    alertmanager: str
    tag: str
    open_ids: tuple[str, ...]
    intents: int


def read_leftover(path: Path) -> SilenceLeftover | None:
    """The journal's leftover, or None when it is closed (unreadable lines are skipped: the tag finds the rest)."""
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    if any(r.get("record") == "closed" for r in records):
        return None
    run: dict[str, Any] = next((r for r in records if r.get("record") == "run"), {})
    created = [r["id"] for r in records if r.get("record") == "created"]
    done = {r["id"] for r in records if r.get("record") in ("expired", "ended")}
    identity = ProcessIdentity.of(int(run.get("pid", 0))) if run.get("pid") else None
    alive = (
        identity is not None
        and identity.started == run.get("pid_start")
        and (not run.get("pid_cmdline") or list(identity.cmdline) == run.get("pid_cmdline"))
    )
    return SilenceLeftover(
        path,
        alive,
        str(run.get("alertmanager", "")),
        str(run.get("tag", "")),
        tuple(i for i in created if i not in done),
        sum(1 for r in records if r.get("record") == "intent"),
    )


@dataclass(frozen=True)
class SilenceRecovery:
    """What recover did about silences."""

    expired: tuple[tuple[str, str], ...]  # (journal name, silence id)
    ended: tuple[tuple[str, str], ...]  # already ended by Alertmanager at their endsAt
    manual: tuple[tuple[str, str], ...]  # (journal path, what a person must do)
    skipped: tuple[str, ...]


def recover_silences(directory: Path, *, force: bool = False, say: Say = quiet) -> SilenceRecovery:
    """Expire the silences of every run that is gone and left its journal open (``DELETE /api/v2/silence/{id}``)."""
    expired: list[tuple[str, str]] = []
    ended: list[tuple[str, str]] = []
    manual: list[tuple[str, str]] = []
    skipped: list[str] = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else ():
        leftover = read_leftover(path)
        if leftover is None:
            continue
        if leftover.alive and not force:
            skipped.append(f"{path.name} (its maintenance is still running)")
            continue
        client = SilenceClient(leftover.alertmanager)
        try:
            ids = set(leftover.open_ids)
            if leftover.intents > len(leftover.open_ids) and leftover.tag:
                # asked for, but the id never reached the journal: the comment carries the run's tag
                ids |= {s.id for s in client.find(leftover.tag) if s.state != "expired"}
            for silence_id in sorted(ids):
                say(f"expiring silence {silence_id} left by {path.name}")
                was_active = client.expire(silence_id)
                (expired if was_active else ended).append((path.name, silence_id))
                append_record(path, {"record": "expired" if was_active else "ended", "id": silence_id, "by": "recover"})
        except OpsreadyError as exc:
            manual.append((str(path), f"{exc.message}: expire its silences by hand (amtool silence expire)"))
            continue
        append_record(path, {"record": "closed", "by": "recover"})
    return SilenceRecovery(tuple(expired), tuple(ended), tuple(manual), tuple(skipped))
