"""Journaled Alertmanager silences: a maintenance window's (the alerts of the components it touches) and an
acknowledged page's (the alert that paged, for as long as the drill's fault may last). Each is journaled like a fault,
expired when its run is done (on every outcome) or by ``opsready recover``.

The silence's ``endsAt`` bounds it, so Alertmanager ends it even if opsready dies. The journal (one JSON-lines file
per run, each record fsync'd) holds the run (pid, start time, command line), an ``intent`` before each silence is
asked for (matchers, end, Alertmanager, the run's tag, which the silence's comment carries, so a silence whose id
never reached the journal is still found), ``created`` with its id, ``extended`` (old and new id) or ``renewed`` (a
silence that had ended, made anew), ``expired`` or ``ended``, and ``closed``. A journal not closed whose process is
gone is a leftover: :func:`opsready.monitoring.silence_recovery.recover_silences` expires its silences. Without
monitoring, or where the target does not allow silences, the run goes on without one and says why.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from opsready.config import Config
from opsready.config.monitoring import Component, Matcher
from opsready.errors import OpsreadyError, ProbeError
from opsready.monitoring.silences import Silenceable, SilenceClient, SilenceEnded, silence_access
from opsready.processes import ProcessIdentity
from opsready.targets.faults import FaultInjectable
from opsready.targets.protocol import quiet

Say = Callable[[str], None]


def journal_dir(config: Config, target: object) -> Path:
    """Where a target's silence journals live: beside its fault journals (its state), else under the reports."""
    if isinstance(target, FaultInjectable):
        return target.fault_journal_dir().parent / "silences"
    return config.resolve(config.reports_dir) / "silences" / str(getattr(target, "name", "target"))


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record (with the time) to a silence journal and fsync it before going on."""
    line = (json.dumps({"at": time.time(), **record}, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class SilenceOutcome:
    """What a run did about silences: made (what they cover, ids, how long each call took) or why not."""

    made: bool
    why: str = ""
    components: tuple[str, ...] = ()
    matchers: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    alertmanager: str = ""
    ends_at: float = 0.0
    create_seconds: float = 0.0
    remove_seconds: float | None = None
    removed: bool = False
    journal: str = ""
    renewed: tuple[str, ...] = ()  # components whose silence had ended before it could be extended: made anew

    def until(self) -> str:
        """When the silences end by themselves (their endsAt), UTC."""
        return time.strftime("%H:%M:%S UTC", time.gmtime(self.ends_at))

    def describe(self) -> str:
        """One line for the record and the terminal."""
        if not self.made:
            return f"no silence: {self.why}"
        what = "; ".join(self.matchers)
        removed = (
            f"expired after the work in {self.remove_seconds * 1000:.0f} ms"
            if self.removed and self.remove_seconds is not None
            else f"NOT expired by the run ({self.why or 'it ends at its endsAt'})"
        )
        renewed = (
            f"; made anew for {', '.join(self.renewed)} (the first had ended: not silenced in between)"
            if self.renewed
            else ""
        )
        return (
            f"silenced {', '.join(self.components)} ({what}) on {self.alertmanager} until {self.until()}: "
            f"{len(self.ids)} silence(s) made in {self.create_seconds * 1000:.0f} ms, {removed}{renewed}"
        )


@dataclass
class SilenceSession:
    """The silences of one run (make them with :meth:`open`, end them with :meth:`close`): of ``components`` (the
    target's matchers of each), or of the matcher ``groups`` given to :meth:`open` (an acknowledged alert's)."""

    directory: Path
    target: object
    label: str  # e.g. 'maintenance housekeeping'
    components: tuple[Component, ...]
    say: Say = quiet
    created_by: str = "opsready"  # the silence's author as Alertmanager shows it
    result: SilenceOutcome = field(default_factory=lambda: SilenceOutcome(False, "not asked"))
    _path: Path | None = None
    _client: SilenceClient | None = None
    _tag: str = ""
    _matchers: dict[str, tuple[Matcher, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the keeper's timer thread extends, the run closes
    _closed: bool = False
    _unconfirmed: bool = False  # a silence was asked for whose answer never came: close looks for it by the tag

    def open(self, seconds: float, groups: tuple[tuple[str, tuple[Matcher, ...]], ...] | None = None) -> SilenceOutcome:
        """Silence the components' alerts (or each named matcher group of ``groups``) for ``seconds`` from now,
        journaled before each request."""
        if not self.components and groups is None:
            self.result = SilenceOutcome(False, "the procedure touches no component whose alerts would page")
            return self.result
        endpoints, why = silence_access(self.target)
        if endpoints is None or not isinstance(self.target, Silenceable):
            self.result = SilenceOutcome(False, why)
            return self.result
        if groups is None:
            groups = tuple((c, self.target.silence_matchers(c)) for c in self.components)
        groups = tuple((c, m) for c, m in groups if m)
        self._matchers = dict(groups)
        if not groups:
            self.result = SilenceOutcome(False, "the target names no alerts of the components touched")
            return self.result
        self.directory.mkdir(parents=True, exist_ok=True)
        run_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(2)}"
        self._tag = f"opsready-run:{run_id}"
        self._path = self.directory / f"{run_id}.jsonl"
        me = ProcessIdentity.of(os.getpid())
        append_record(
            self._path,
            {
                "record": "run",
                "pid": os.getpid(),
                "pid_start": me.started if me else None,
                "pid_cmdline": list(me.cmdline) if me else [],
                "what": self.label,
                "target": str(getattr(self.target, "name", "")),
                "alertmanager": endpoints.alertmanager,
                "tag": self._tag,
            },
        )
        self._client = SilenceClient(endpoints.alertmanager)
        ends = time.time() + seconds
        ids: list[str] = []
        started = time.monotonic()
        problem = ""
        for component, matchers in groups:
            append_record(self._path, _intent(component, matchers, ends))
            try:
                silence_id = self._client.create(matchers, ends, self.created_by, f"{self.label} ({self._tag})")
            except OpsreadyError as exc:
                problem = exc.message
                break
            append_record(self._path, {"record": "created", "component": component, "id": silence_id})
            ids.append(silence_id)
        took = time.monotonic() - started
        if not ids:
            append_record(self._path, {"record": "closed", "why": problem})
            self.result = SilenceOutcome(False, f"Alertmanager did not make it: {problem}")
            return self.result
        self.result = SilenceOutcome(
            True,
            problem,
            components=tuple(c for c, _ in groups[: len(ids)]),
            matchers=tuple(" ".join(m.describe() for m in ms) for _, ms in groups[: len(ids)]),
            ids=tuple(ids),
            alertmanager=endpoints.alertmanager,
            ends_at=ends,
            create_seconds=took,
            journal=str(self._path),
        )
        self.say(self.result.describe())
        return self.result

    def extend(self, ends: float) -> SilenceOutcome:
        """Move every silence made to end at epoch ``ends`` (the work overran its window), journaled: ``extended``
        with the id before and after (Alertmanager may replace a silence: then the old one is journaled expired and
        the new one created, so ``close`` and ``recover`` end the one that is active). A silence that has already
        ended is made anew until ``ends`` (journaled ``renewed``), and the outcome names its component: its alerts
        were not silenced between its end and now."""
        with self._lock:
            if self._closed:
                return self.result
            return self._extend(ends)

    def _extend(self, ends: float) -> SilenceOutcome:
        r = self.result
        if not r.made or self._client is None or self._path is None:
            return r
        ids: list[str] = []
        problems: list[str] = []
        renewed: list[str] = []
        for component, old in zip(r.components, r.ids, strict=True):
            try:
                new, made_anew = self._extend_one(self._client, self._path, component=component, old=old, ends=ends)
            except OpsreadyError as exc:
                problems.append(f"{old}: {exc.message}")
                ids.append(old)
                continue
            ids.append(new)
            if made_anew:
                renewed.append(component)
        self.result = replace(
            r,
            ids=tuple(ids),
            ends_at=ends if not problems else r.ends_at,
            why="; ".join(problems),
            renewed=(*r.renewed, *renewed),
        )
        if problems:
            self.say(f"silences NOT extended: {self.result.why}")
        elif renewed:
            self.say(
                f"the silence of {', '.join(renewed)} had ended before it could be extended: made anew until "
                f"{self.result.until()} (its alerts were not silenced in between)"
            )
        else:
            self.say(f"silences extended until {self.result.until()}")
        return self.result

    def _extend_one(
        self, client: SilenceClient, path: Path, *, component: str, old: str, ends: float
    ) -> tuple[str, bool]:
        """Extend one silence, or make it anew when it has ended; the id active afterwards, and whether it is new."""
        try:
            new = client.extend(old, ends)
        except SilenceEnded as ended:
            planned = self.result.ends_at
            if ended.ends_at is not None and ended.ends_at < planned - 1.0:
                # someone expired it before its end, on purpose: they want its alerts back, so it is not made anew
                raise ProbeError(
                    f"expired by someone at {_utc(ended.ends_at)}, before its end at {_utc(planned)}: not made anew"
                ) from None
            matchers = self._matchers[component]
            append_record(path, {"record": "ended", "id": old, "by": "endsAt"})
            append_record(path, _intent(component, matchers, ends))
            try:
                new = client.create(matchers, ends, self.created_by, f"{self.label} ({self._tag})")
            except OpsreadyError as exc:
                self._unconfirmed = True
                raise ProbeError(f"it had ended, and making it anew failed: {exc.message}") from None
            append_record(path, {"record": "created", "component": component, "id": new})
            append_record(path, {"record": "renewed", "id": old, "new_id": new, "ends": ends})
            return new, True
        append_record(path, {"record": "extended", "id": old, "new_id": new, "ends": ends})
        if new != old:
            append_record(path, {"record": "created", "component": component, "id": new})
            append_record(path, {"record": "expired", "id": old, "by": "extend"})
        return new, False

    def close(self) -> SilenceOutcome:
        """Expire every silence made (the work is done, whatever its outcome); closes the journal when all are.
        Waits for an extension under way, and no extension starts afterwards."""
        with self._lock:
            self._closed = True
            return self._close()

    def _close(self) -> SilenceOutcome:
        r = self.result
        if not r.made or self._client is None or self._path is None:
            return r
        started = time.monotonic()
        left: list[str] = []
        ids = list(r.ids)
        if self._unconfirmed:  # asked for, answer lost: Alertmanager may hold it, the comment carries our tag
            try:
                ids += [s.id for s in self._client.find(self._tag) if s.state != "expired" and s.id not in ids]
            except OpsreadyError as exc:
                left.append(f"silences tagged {self._tag}: {exc.message}")
        for silence_id in ids:
            try:
                ended = not self._client.expire(silence_id)
            except OpsreadyError as exc:
                left.append(f"{silence_id}: {exc.message}")
                continue
            append_record(self._path, {"record": "ended" if ended else "expired", "id": silence_id, "by": "run"})
        took = time.monotonic() - started
        if not left:
            append_record(self._path, {"record": "closed"})
        why = "; ".join(left) + ("; `opsready recover` expires them" if left else "")
        self.result = SilenceOutcome(
            True, why, r.components, r.matchers, r.ids, r.alertmanager, r.ends_at, r.create_seconds, took, not left,
            r.journal, r.renewed,
        )  # fmt: skip
        return self.result


def _intent(component: str, matchers: tuple[Matcher, ...], ends: float) -> dict[str, Any]:
    return {"record": "intent", "component": component, "matchers": [m.to_api() for m in matchers], "ends": ends}


def _utc(epoch: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(epoch))
