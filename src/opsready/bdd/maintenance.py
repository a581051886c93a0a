"""Steps of the maintenance runbooks (runbooks/maintenance/): procedures run on the target, and what they proved."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.bdd.common import Drill
from opsready.config import Config
from opsready.config.maintenance import AllowedWindow
from opsready.errors import UsageError
from opsready.maintenance.procedures import MaintenanceRequest
from opsready.maintenance.record import MaintenanceRecord
from opsready.maintenance.runner import MaintenanceRunner
from opsready.targets.protocol import Target
from opsready.timeline import Timeline


@dataclass
class MaintenanceDrill:
    """One scenario's maintenance runs: its configuration (records and notices in the test's own directory), the
    authorisation, and what the runs left (per test)."""

    base: Config
    target: Target
    timeline: Timeline
    tmp: Path
    force_reason: str = ""
    record: MaintenanceRecord | None = None
    procedure: str = ""  # the procedure an operator tried to start
    refusal: UsageError | None = None
    history_before: int | None = None
    records_before: frozenset[str] = frozenset()
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The scenario's configuration."""
        if self._config is None:
            policy = dataclasses.replace(
                self.base.maintenance, records_dir=self.tmp / "records", comms_dir=self.tmp / "comms"
            )
            self._config = dataclasses.replace(self.base, maintenance=policy)
        return self._config

    def change_policy(self, **changes: object) -> None:
        """Adjust the scenario's maintenance policy."""
        policy = dataclasses.replace(self.config.maintenance, **changes)  # type: ignore[arg-type]
        self._config = dataclasses.replace(self.config, maintenance=policy)

    def run(self, procedure: str, **kw: object) -> MaintenanceRecord:
        """Run a procedure as the operator would, forced only when the scenario authorised it."""
        request = MaintenanceRequest(
            procedure=procedure,
            force_reason=self.force_reason,
            backup_dir=self.tmp / "backups",
            **kw,  # type: ignore[arg-type]
        )
        record = MaintenanceRunner(self.config, self.target, self.timeline).run(request)
        self.record = record
        return record

    @property
    def last(self) -> MaintenanceRecord:
        """The record of the scenario's last maintenance run."""
        assert self.record is not None, "no maintenance procedure ran in this scenario"
        return self.record


@pytest.fixture
def maintenance_drill(opsready_config: Config, target: Target, timeline: Timeline, tmp_path: Path) -> MaintenanceDrill:
    """The scenario's maintenance runner on the target, recording on its timeline."""
    return MaintenanceDrill(opsready_config, target, timeline, tmp_path)


@given("maintenance is authorised for this drill")
def authorised(maintenance_drill: MaintenanceDrill, request: pytest.FixtureRequest) -> None:
    """Drills run whenever CI does: they are forced outside the window, with the drill named as the reason."""
    maintenance_drill.force_reason = f"drill rehearsal: {request.node.name}"


@given(parsers.parse('the "{journey}" journey has run {count:d} times and the data is counted before any traffic'))
def counted_before_traffic(drill: Drill, target: Target, journey: str, count: int) -> None:
    """Data counted while nothing else writes, so everything up to the watermark counted is committed: 'no data was
    lost' can then compare checksums exactly while traffic writes more afterwards."""
    from opsready.bdd.deployment import count_data_now, journey_runs

    assert drill.traffic is None, "count before starting the background traffic"
    journey_runs(target, journey, count)
    count_data_now(drill, target)


@given(parsers.parse("the allowed maintenance window opens {hours:d} hours from now"))
def window_later(maintenance_drill: MaintenanceDrill, hours: int) -> None:
    """A policy whose only allowed window (daily, one hour long) is ``hours`` from now; no freezes."""
    opens = dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=hours)
    minute = opens.hour * 60 + opens.minute
    window = AllowedWindow(tuple(range(7)), minute, (minute + 60) % 1440)
    maintenance_drill.change_policy(allowed_windows=(window,), freezes=())


@when(parsers.parse('the "{procedure}" maintenance procedure runs'))
def run_procedure(maintenance_drill: MaintenanceDrill, procedure: str) -> None:
    """Run a procedure by its runbook (pre-checks, work, validation, post-checks, record, notices)."""
    maintenance_drill.run(procedure)


@when(parsers.parse('the patch procedure rolls out release "{release}"'))
def run_patch(maintenance_drill: MaintenanceDrill, release: str) -> None:
    """The patching runbook: zero-downtime switch, guard, automatic rollback."""
    maintenance_drill.run("patch", release=release)


@when(parsers.parse("the disk is checked against a threshold of {percent:d}%"))
def disk_threshold(maintenance_drill: MaintenanceDrill, percent: int) -> None:
    """The disk-check procedure held to ``percent``."""
    maintenance_drill.change_policy(disk_threshold=percent / 100)
    maintenance_drill.run("disk-check")


@when(parsers.parse('the "{procedure}" maintenance procedure is started without a reason'))
def started_unforced(maintenance_drill: MaintenanceDrill, procedure: str) -> None:
    """Start it as an operator would, outside the window and without --force."""
    config = maintenance_drill.config
    maintenance_drill.history_before = len(maintenance_drill.target.history())
    maintenance_drill.records_before = _listing(config.resolve(config.maintenance.records_dir))
    maintenance_drill.procedure = procedure
    try:
        maintenance_drill.run(procedure)
    except UsageError as exc:
        maintenance_drill.refusal = exc


@when(parsers.parse('it is forced with the reason "{reason}"'))
def forced(maintenance_drill: MaintenanceDrill, reason: str) -> None:
    """Force the refused procedure, saying why."""
    assert maintenance_drill.procedure, "no procedure was started before"
    maintenance_drill.force_reason = reason
    maintenance_drill.run(maintenance_drill.procedure)


def _listing(directory: Path) -> frozenset[str]:
    return frozenset(p.name for p in directory.glob("*")) if directory.is_dir() else frozenset()


@then("the maintenance succeeded with its pre- and post-checks passed")
def succeeded(maintenance_drill: MaintenanceDrill) -> None:
    """Outcome, both check phases, and the KPI."""
    record = maintenance_drill.last
    assert record.outcome == "succeeded", record.summary()
    assert record.pre.ok, record.pre.summary()
    assert record.post is not None and record.post.ok, record.post and record.post.summary()
    assert record.ok and record.within_kpi, record.summary()


@then("the maintenance failed its validation while the service stayed healthy")
def failed_validation(maintenance_drill: MaintenanceDrill) -> None:
    """The procedure's own verdict failed, the post-checks still passed."""
    record = maintenance_drill.last
    assert record.outcome == "failed" and not record.ok, record.summary()
    assert record.post is not None and record.post.ok, record.post and record.post.summary()


@then("the backup restored the data counted, with the same checksum")
def restored_all(drill: Drill, maintenance_drill: MaintenanceDrill) -> None:
    """The restore matched the backup, and the backup matched what the api counted just before."""
    record = maintenance_drill.last
    counted = drill.counted
    assert counted.count > 0, counted
    assert record.backup is not None and record.restore is not None, record.summary()
    assert record.restore.ok, record.validation
    assert record.restore.restored.orders == counted.count, (record.restore.restored, counted)
    assert record.restore.restored.checksum == counted.checksum, (record.restore.restored, counted)
    assert record.backup.path.is_file() and record.backup.size_bytes > 0


@then("the scratch database was removed")
def scratch_removed(maintenance_drill: MaintenanceDrill) -> None:
    """Verification leaves nothing behind."""
    restore = maintenance_drill.last.restore
    assert restore is not None and restore.scratch_removed, restore


@then("the start and completion notices name the measured outcome")
def notices(maintenance_drill: MaintenanceDrill) -> None:
    """The communication plan: a start notice and a completion notice with the measured duration and result."""
    from opsready.durations import format_duration

    record = maintenance_drill.last
    by_kind = {p.name.rsplit("-", 1)[1].removesuffix(".md"): p for p in record.notices}
    assert {"start", "completion"} <= set(by_kind), record.notices
    text = by_kind["completion"].read_text(encoding="utf-8")
    assert format_duration(record.seconds) in text and record.outcome.replace("_", " ") in text, text
    assert "n/a" not in by_kind["start"].read_text(encoding="utf-8")


@then(parsers.parse('the patch was rolled back by the "{trigger}" trigger'))
def patch_rolled_back(maintenance_drill: MaintenanceDrill, trigger: str) -> None:
    """The procedure caught the broken patch itself and rolled it back."""
    record = maintenance_drill.last
    assert record.outcome == "rolled_back", record.summary()
    assert record.patch is not None and record.patch.hit is not None, record.patch
    assert record.patch.hit.trigger == trigger, record.patch.hit


@then("the users saw failed requests while the broken patch was live")
def users_saw_breakage(drill: Drill) -> None:
    """The patch really broke the service (so catching it mattered)."""
    report = drill.stop_traffic()
    assert report.failed > 0, f"the broken patch broke nothing users saw: {report.describe()}"


@then("the post-maintenance checks passed")
def post_passed(maintenance_drill: MaintenanceDrill) -> None:
    """The service is healthy after the procedure, whatever its outcome."""
    post = maintenance_drill.last.post
    assert post is not None and post.ok, post and post.summary()


@then("the maintenance was aborted by its pre-checks before any change")
def aborted(maintenance_drill: MaintenanceDrill, tmp_path: Path) -> None:
    """A failed pre-check stops the procedure: no work, no notices, nothing written to the target."""
    record = maintenance_drill.last
    assert record.outcome == "aborted" and not record.pre.ok, record.summary()
    assert record.post is None and record.backup is None and not record.notices, record
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


@then("it was refused and nothing changed")
def refused(maintenance_drill: MaintenanceDrill) -> None:
    """Refused with a clear reason before anything ran: no record, no backup, no release change."""
    refusal = maintenance_drill.refusal
    assert refusal is not None, "the procedure was not refused"
    assert "not inside an allowed maintenance window" in refusal.message, refusal.message
    config = maintenance_drill.config
    assert len(maintenance_drill.target.history()) == maintenance_drill.history_before
    assert _listing(config.resolve(config.maintenance.records_dir)) == maintenance_drill.records_before
    backups = maintenance_drill.tmp / "backups"
    assert not backups.exists() or not any(backups.iterdir())


@then(parsers.parse('the record and the completion notice carry the reason "{reason}"'))
def reason_recorded(maintenance_drill: MaintenanceDrill, reason: str) -> None:
    """A forced run says why, where people will read it."""
    record = maintenance_drill.last
    assert not record.authorisation.in_window and record.authorisation.forced_reason == reason
    completion = next(p for p in record.notices if p.name.endswith("-completion.md"))
    assert reason in completion.read_text(encoding="utf-8")
