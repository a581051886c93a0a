"""Run a maintenance procedure by its runbook: validate, authorise, pre-check, work, post-check, record, notify.

Everything is validated before the target is touched (procedure, release, notice templates, the window policy). A
procedure that changes the target may only start inside an allowed window and outside change freezes, unless it is
forced with a reason, which the record and the notices carry. The run's duration is measured on the drill's
timeline and held against the story's KPI (planned maintenance under 2 hours); when the work overruns its plan, the
extension notice goes out at that moment.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

from opsready.checks import CheckRun
from opsready.config import Config
from opsready.durations import format_duration
from opsready.errors import OpsreadyError, UsageError
from opsready.maintenance import comms
from opsready.maintenance.checks import run_phase
from opsready.maintenance.patch import check_patch
from opsready.maintenance.procedures import PROCEDURES, Context, MaintenanceRequest, Procedure, Work
from opsready.maintenance.record import Authorisation, MaintenanceRecord, write_record
from opsready.monitoring.silence_journal import SilenceSession, journal_dir
from opsready.safety import check_destructive
from opsready.spelling import did_you_mean
from opsready.targets.maintenance import maintenance_of
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

Progress = Callable[[str], None]
Clock = Callable[[], dt.datetime]


def _quiet(_: str) -> None:
    return None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _human(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def procedure_named(name: str) -> Procedure:
    """The procedure called ``name``; a :class:`UsageError` lists the known ones."""
    if name not in PROCEDURES:
        raise UsageError(
            f"unknown maintenance procedure '{name}'{did_you_mean(name, tuple(PROCEDURES))}; "
            f"known: {', '.join(PROCEDURES)}"
        )
    return PROCEDURES[name]


class MaintenanceRunner:
    """Runs maintenance procedures on one target, recording a timeline."""

    def __init__(
        self, config: Config, target: Target, timeline: Timeline, progress: Progress = _quiet, clock: Clock = _utcnow
    ) -> None:
        self.config = config
        self.policy = config.maintenance
        self.target = target
        self.timeline = timeline
        self.progress = progress
        self.clock = clock

    def validate(self, request: MaintenanceRequest) -> Procedure:
        """Every check that needs no change to the target: procedure, arguments, templates, release."""
        procedure = procedure_named(request.procedure)
        if procedure.needs_release and not request.release:
            raise UsageError(f"'{procedure.name}' needs the release to roll out (--release VERSION)")
        if request.release and not procedure.needs_release:
            raise UsageError(f"'{procedure.name}' takes no release (--release is for 'patch')")
        if request.planned is not None and request.planned <= 0:
            raise UsageError("the planned duration must be greater than zero")
        if request.force_reason and not request.force_reason.strip():
            raise UsageError("a forced run needs a reason people can read later")
        if procedure.changes_target:
            what = f"'{procedure.name}' (it changes the target)"
            check_destructive(self.config, self.target, request.allow_destructive, what, entry="maintenance")
        comms.check_templates(self.config.resolve(self.policy.templates_dir))
        if procedure.needs_release:
            check_patch(self.target, request.release)
        else:
            maintenance_of(self.target)
        return procedure

    def authorise(self, procedure: Procedure, request: MaintenanceRequest) -> Authorisation:
        """Inside an allowed window and outside freezes, or forced with a reason; else a :class:`UsageError`."""
        start = self.clock()
        planned = request.planned or procedure.planned
        end = start + dt.timedelta(seconds=planned)
        refusal = self.policy.refusal(start, planned) if procedure.changes_target else None
        if refusal is None:
            return Authorisation(_iso(start), _iso(end), True, "", request.force_reason.strip())
        if not request.force_reason.strip():
            raise UsageError(
                f"refused: '{procedure.name}' may not start now: {refusal}",
                hint="find a window with: opsready maintenance window --length 2h; "
                "or force it with --force --reason '...' (the reason is recorded)",
            )
        return Authorisation(_iso(start), _iso(end), False, refusal, request.force_reason.strip())

    def run(self, request: MaintenanceRequest) -> MaintenanceRecord:
        """Validate, authorise, then run the procedure with its checks; the record is also written to disk."""
        procedure = self.validate(request)
        auth = self.authorise(procedure, request)
        planned = request.planned or procedure.planned
        started = self.clock()
        stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
        values = self._values(procedure, auth, planned)
        self.timeline.mark("started", f"maintenance {procedure.name}")
        silences = SilenceSession(
            journal_dir(self.config, self.target), self.target, f"maintenance {procedure.name}", procedure.touches,
            self.progress,
        )  # fmt: skip
        silences.open(planned)  # ends at the window's end in Alertmanager itself, whatever becomes of this process
        try:
            record = self._run(
                procedure=procedure, request=request, auth=auth, planned=planned, started=started, values=values,
                silences=silences,
            )  # fmt: skip
        finally:
            silence = silences.close()
        record = replace(record, silence=silence)
        return self._finish(record, stamp, values, record.notices)

    def _run(
        self,
        *,
        procedure: Procedure,
        request: MaintenanceRequest,
        auth: Authorisation,
        planned: float,
        started: dt.datetime,
        values: dict[str, str],
        silences: SilenceSession,
    ) -> MaintenanceRecord:
        """Pre-checks, the work and post-checks (inside the window's silences)."""
        tl, policy = self.timeline, self.policy
        self.progress(f"pre-maintenance checks ({procedure.name})")
        pre = run_phase("pre", policy, self.target, procedure.checks_disk)
        if not pre.ok:
            tl.mark("finished", "aborted before any change")
            tl.measure("maintenance duration", "started", "finished", policy.max_duration)
            work = Work("aborted", pre.summary())
            return self._record(
                procedure=procedure, auth=auth, planned=planned, started=started, pre=pre, post=None, work=work
            )
        notices: list[Path] = [self._notice("start", procedure, values)]
        timers = [threading.Timer(planned, self._overrun, (procedure, values, planned, started, notices))]
        if silences.result.made:
            # the silences end at the planned end (so they end even if this process dies): shortly before they do,
            # work still going on extends them to the latest end the KPI allows. Timed from the silences' own end, not
            # from now: the pre-checks took part of the window already (under load, a 1 s window's silence had ended)
            keep_at = silences.result.ends_at - min(30.0, planned / 4)
            timers.append(threading.Timer(max(0.0, keep_at - time.time()), self._keep_silenced, (started, silences)))
        for each in timers:
            each.daemon = True
            each.start()
        try:
            try:
                work = procedure.work(Context(self.config, self.target, tl, self.progress, request))
            except OpsreadyError as exc:
                work = Work("failed", f"the work failed: {exc.message}")
            self.progress(f"post-maintenance checks ({procedure.name})")
            post = run_phase("post", policy, self.target, procedure.checks_disk)
        finally:
            for each in timers:
                each.cancel()
                each.join()
        tl.mark("finished", work.outcome)
        tl.measure("maintenance duration", "started", "finished", policy.max_duration)
        record = self._record(
            procedure=procedure, auth=auth, planned=planned, started=started, pre=pre, post=post, work=work
        )
        return replace(record, notices=tuple(notices))

    def _values(self, procedure: Procedure, auth: Authorisation, planned: float) -> dict[str, str]:
        start = dt.datetime.fromisoformat(auth.start.replace("Z", "+00:00"))
        return {
            "service": "orders service",
            "target": self.target.name,
            "procedure": procedure.title,
            "runbook": procedure.runbook,
            "window_start": _human(start),
            "window_end": _human(start + dt.timedelta(seconds=planned)),
            "planned": format_duration(planned),
            "reason": auth.forced_reason if not auth.in_window else "",
            "contact": f"the on-call engineer named in runbook {procedure.runbook}",
        }

    def _notice(self, kind: str, procedure: Procedure, values: dict[str, str]) -> Path:
        return comms.write_notice(
            self.config.resolve(self.policy.templates_dir),
            self.config.resolve(self.policy.comms_dir),
            kind,
            procedure.name,
            values,
        )

    def _overrun(
        self, procedure: Procedure, values: dict[str, str], planned: float, started: dt.datetime, notices: list[Path]
    ) -> None:
        """The work outlived its plan: tell people now, with the latest end the KPI allows."""
        elapsed = (self.clock() - started).total_seconds()
        latest = started + dt.timedelta(seconds=self.policy.max_duration)
        extra = {"overrun": format_duration(max(0.0, elapsed - planned)), "new_end": _human(latest)}
        notices.append(self._notice("extension", procedure, {**values, **extra}))
        self.timeline.mark("extended", f"overran the planned {format_duration(planned)}")

    def _keep_silenced(self, started: dt.datetime, silences: SilenceSession) -> None:
        """The work is about to outlive its plan: keep its alerts silenced until the latest end the KPI allows."""
        remaining = max(0.0, self.policy.max_duration - (self.clock() - started).total_seconds())
        extended = silences.extend(time.time() + remaining)
        if extended.why:
            self.timeline.mark("silence_not_extended", extended.describe())
        elif extended.renewed:
            self.timeline.mark("silence_renewed", extended.describe())
        else:
            self.timeline.mark("silence_extended", extended.describe())

    def _record(
        self,
        *,
        procedure: Procedure,
        auth: Authorisation,
        planned: float,
        started: dt.datetime,
        pre: CheckRun,
        post: CheckRun | None,
        work: Work,
    ) -> MaintenanceRecord:
        measured = next(m for m in self.timeline.measurements if m.name == "maintenance duration")
        extras = {f.name: getattr(work, f.name) for f in fields(Work) if f.name not in ("outcome", "validation")}
        return MaintenanceRecord(
            procedure=procedure.name,
            title=procedure.title,
            runbook=procedure.runbook,
            target=self.target.name,
            started=auth.start,
            finished=_iso(started + dt.timedelta(seconds=measured.seconds)),
            seconds=measured.seconds,
            max_duration=self.policy.max_duration,
            planned=planned,
            outcome=work.outcome,
            authorisation=auth,
            pre=pre,
            post=post,
            validation=work.validation,
            **extras,
        )

    def _finish(
        self, record: MaintenanceRecord, stamp: str, values: dict[str, str], notices: tuple[Path, ...]
    ) -> MaintenanceRecord:
        if record.outcome != "aborted":
            checks = record.post.summary() if record.post is not None else "not run"
            done = {
                **values,
                "outcome": record.outcome.replace("_", " "),
                "measured_duration": format_duration(record.seconds),
                "checks": checks,
                "details": record.validation,
            }
            notices = (*notices, self._notice("completion", procedure_named(record.procedure), done))
        record = replace(record, notices=notices)
        write_record(record, self.config.resolve(self.policy.records_dir), stamp)
        return record
