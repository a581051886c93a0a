"""Maintenance of the fleet over SSH: a backup of the db host's database taken while users order restores into a
scratch database to exactly what it promised, a changed backup is caught, log rotation keeps N archives on every
app host, disk usage is measured per host against the threshold, certificates are read on the hosts, and each
failed step names the host and the step. The procedures run through the maintenance capability the CLI uses."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import HostError
from opsready.hosts.adapter import HostsTarget, open_target
from opsready.hosts.connection import connect
from opsready.maintenance.procedures import (
    Context,
    MaintenanceRequest,
    certificate_check,
    disk_check,
    housekeeping,
)
from opsready.maintenance.runner import MaintenanceRunner
from opsready.targets.maintenance import maintenance_of
from opsready.timeline import Timeline

from .fleet import Fleet
from .maint import (
    BACKUPS,
    CA,
    CERT,
    DB,
    WRITER,
    clean_hosts,
    count_orders,
    install,
    issue_certificate,
    maintenance_yaml,
    python,
    seed_database,
)
from .rolling_load import reset
from .target import rolling_yaml

pytestmark = pytest.mark.hosts


def open_maintained(fleet: Fleet, tmp: Path, text: str) -> HostsTarget:
    path = tmp / "opsready.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    return open_target(config, config.target("fleet"))


@pytest.fixture
def maintained(fleet: Fleet, tmp_path: Path) -> Iterator[HostsTarget]:
    """The fleet with its maintenance section and 500 orders on the db host; afterwards cleaned off the hosts."""
    target = open_maintained(fleet, tmp_path, maintenance_yaml(fleet, tmp_path))
    try:
        seed_database(target.connection("db"), 500)
        yield target
    finally:
        try:
            clean_hosts(target)
        finally:
            target.close()


def test_a_backup_taken_while_users_order_restores_to_exactly_what_it_promised(
    fleet: Fleet, maintained: HostsTarget
) -> None:
    """Orders keep arriving on the db host during the backup: the backup holds a consistent snapshot, the restore
    into a scratch database matches its count, last id and checksum, and the scratch is gone afterwards."""
    ops = maintenance_of(maintained)
    writer = connect(maintained.entry("db").spec, maintained.options.ssh)
    made: list[str] = []
    thread = threading.Thread(target=lambda: made.append(python(writer, WRITER, DB, "4")))
    thread.start()
    try:
        time.sleep(0.5)  # orders arriving
        start = time.monotonic()
        taken = ops.backup()
        check = ops.verify_restore(taken)
        seconds = time.monotonic() - start
    finally:
        thread.join(30)
        writer.close()
    print(f"backup + verified restore on the db host over SSH: {seconds:.2f} s ({taken.digest.orders} orders)")
    assert int(made[0]) > 0, "the writer made no order"
    live = count_orders(maintained.connection("db"))
    assert 500 < taken.digest.orders < live, (taken.digest, live)  # taken mid-stream: after some orders, before others
    assert check.ok and check.scratch_removed, check
    assert check.restored == taken.digest and check.scratch.startswith("sqlite file db:")
    assert count_orders(maintained.connection("db"), str(taken.path)) == taken.digest.orders
    listing = maintained.connection("db").check(f"ls -A {BACKUPS}").stdout.split()
    assert sorted(listing) == sorted([taken.path.name, taken.path.name + ".json"]), listing


def test_a_backup_changed_after_it_was_taken_fails_its_verification(maintained: HostsTarget) -> None:
    """One order's quantity changed in the backup file: the restore's checksum differs, the check is not ok."""
    ops = maintenance_of(maintained)
    taken = ops.backup()
    change = (
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
        "c.execute('UPDATE orders SET quantity=99 WHERE id=3'); c.commit()"
    )
    maintained.connection("db").check(shlex.join(["/usr/bin/python3", "-c", change, str(taken.path)]))
    check = ops.verify_restore(taken)
    assert not check.ok and check.scratch_removed
    assert check.restored.orders == taken.digest.orders and check.restored.checksum != taken.digest.checksum


def test_database_steps_that_fail_or_hang_name_the_host_and_the_step(fleet: Fleet, tmp_path: Path) -> None:
    """A missing database file, and an interpreter that hangs past the limit: one message each naming db and the
    step; the hung command is stopped on the host."""
    broken = maintenance_yaml(fleet, tmp_path).replace(f"path: {DB}", "path: /srv/db/missing.sqlite")
    target = open_maintained(fleet, tmp_path, broken)
    try:
        with pytest.raises(HostError) as caught:
            maintenance_of(target).backup()
        assert caught.value.message == (
            "host db: backing up the database failed (exit 1): no database file at /srv/db/missing.sqlite"
        )
    finally:
        target.close()
    hangs = (
        maintenance_yaml(fleet, tmp_path)
        .replace("timeout: 60s", "timeout: 1s")
        .replace("engine: sqlite", "engine: sqlite\n        python: /srv/slowpy")
    )
    target = open_maintained(fleet, tmp_path, hangs)
    try:
        install(target.connection("db"), "/srv/slowpy", "#!/bin/sh\nexec sleep 30\n")
        target.connection("db").check("chmod +x /srv/slowpy")
        start = time.monotonic()
        with pytest.raises(HostError) as caught:
            maintenance_of(target).backup()
        message = "host db: backing up the database failed: did not finish within 1 s and was stopped"
        assert caught.value.message == message
        assert time.monotonic() - start < 6
        assert target.connection("db").run("ps -eo comm | grep -cx sleep").stdout.strip() == "0"
    finally:
        clean_hosts(target)
        target.close()


def test_housekeeping_on_the_database_host_keeps_every_order(maintained: HostsTarget, tmp_path: Path) -> None:
    """VACUUM and ANALYZE over SSH through the procedure: integrity ok, every order still there."""
    ctx = _context(maintained, tmp_path)
    work = housekeeping(ctx)
    assert work.outcome == "succeeded" and work.housekeeping is not None, work.validation
    assert work.housekeeping.engine == "sqlite on db" and work.housekeeping.integrity == "ok"
    assert count_orders(maintained.connection("db")) == 500


def test_log_rotation_keeps_n_archives_on_every_app_host(maintained: HostsTarget) -> None:
    """Three rotations keeping two: every app host keeps the two newest archives of each log, each archive reads
    back where it lives, and the log is emptied in place."""
    ops = maintenance_of(maintained)
    for n in range(3):
        for host in ("app1", "app2"):
            maintained.connection(host).check(f"seq 1 {1000 * (n + 1)} > /srv/app/access.log")
        rotation = ops.rotate_logs(2)
        names = {r.name for r in rotation.rotated}
        assert {"app1:/srv/app/access.log", "app2:/srv/app/access.log"} <= names, names
        assert all(r.reads_back for r in rotation.rotated)
        time.sleep(0.01)  # a new stamp each time
    for host in ("app1", "app2"):
        conn = maintained.connection(host)
        archives = conn.check("ls /srv/app/access.log.*.gz").stdout.split()
        assert len(archives) == 2, archives
        newest = conn.check(f"gzip -dc {sorted(archives)[-1]} | wc -l").stdout.strip()
        assert newest == "3000" and conn.check("stat -c %s /srv/app/access.log").stdout.strip() == "0"
    assert len([p for p in rotation.removed if p.name.startswith("access.log.")]) == 2


def _context(target: HostsTarget, tmp: Path) -> Context:
    config = load_config(tmp / "opsready.yaml")
    return Context(config, target, Timeline("check"), lambda _: None, MaintenanceRequest("disk-check"))


def test_disk_usage_is_measured_per_host_against_the_threshold(maintained: HostsTarget, tmp_path: Path) -> None:
    """Every host's / and /srv; filling app1's /srv past the 95 % threshold fails the disk check naming app1:/srv,
    and emptying it passes again."""
    usage = maintenance_of(maintained).disk_usage()
    places = {fs.where for fs in usage.filesystems}
    assert {"app1:/srv", "app2:/srv", "db:/srv", "db:/"} <= places, places
    assert any(area == f"db:{DB}" and size > 0 for area, size in usage.target_bytes), usage.target_bytes
    assert disk_check(_context(maintained, tmp_path)).outcome == "succeeded"
    conn = maintained.connection("app1")
    free = next(fs for fs in usage.filesystems if fs.where == "app1:/srv").free_bytes
    conn.check(f"head -c {free - 256 * 1024} /dev/zero > /srv/fill")
    try:
        work = disk_check(_context(maintained, tmp_path))
        assert work.outcome == "failed" and work.disk is not None and work.disk.where == "app1:/srv", work
        assert " used on app1:/srv (threshold 95%)" in work.validation
    finally:
        conn.check("rm -f /srv/fill")
    assert disk_check(_context(maintained, tmp_path)).outcome == "succeeded"


def test_certificates_are_read_on_the_hosts_and_the_first_to_expire_is_reported(
    maintained: HostsTarget, tmp_path: Path
) -> None:
    """app1 holds a certificate for 40 days, app2 one for 10: the check reports app2's, 10 days left by the host's
    clock, verified against the CA, and fails the 30-day warning period; a certificate for another name does not
    verify."""
    for host, days, name in (("app1", 40, "orders.fleet.test"), ("app2", 10, "orders.fleet.test")):
        pem, ca = issue_certificate(tmp_path / host, days, name)
        install(maintained.connection(host), CERT, pem)
        install(maintained.connection(host), CA, ca)
    cert = maintenance_of(maintained).certificate()
    assert cert.endpoint.startswith(f"app2:{CERT}") and cert.verified and 9.9 < cert.days_left <= 10.0, cert
    work = certificate_check(_context(maintained, tmp_path))
    assert work.outcome == "failed" and "WARNING: renew it" in work.validation
    pem, _ = issue_certificate(tmp_path / "other", 60, "other.fleet.test")
    install(maintained.connection("app1"), CERT, pem)
    cert = maintenance_of(maintained).certificate()
    assert cert.endpoint.startswith("app1:") and not cert.verified


def test_a_backup_runs_through_the_maintenance_runner(maintained: HostsTarget, tmp_path: Path) -> None:
    """The procedure the CLI runs: pre-checks pass on the fleet, the backup is verified by its restore, the record
    is written. The post-check's smoke test is the target's profile's: this fleet names none, so the built-in one
    (health and readiness through the balancer), not the orders journeys of the suite in the working directory."""
    config = load_config(tmp_path / "opsready.yaml")
    request = MaintenanceRequest("backup", allow_destructive=True)
    record = MaintenanceRunner(config, maintained, Timeline("maintenance backup")).run(request)
    assert record.outcome == "succeeded", record.validation
    assert record.pre.ok, record.pre.summary()
    assert record.backup is not None and record.restore is not None and record.restore.ok
    assert "scratch removed" in record.validation
    assert record.post is not None
    assert record.post.ok, record.post.summary()
    assert list((tmp_path / "records").glob("*backup*.json")), list((tmp_path / "records").iterdir())


def test_a_patch_is_a_rolling_deploy_through_the_balancer(fleet: Fleet, tmp_path: Path) -> None:
    """``maintenance patch`` on a fleet behind HAProxy rolls host by host, each drained, switched, checked and put
    back; a patch that never gets ready stops at the first host, which is switched back, and the work fails."""
    target = open_maintained(fleet, tmp_path, maintenance_yaml(fleet, tmp_path, rolling_yaml(fleet, soak="500ms")))
    config = load_config(tmp_path / "opsready.yaml")
    said: list[str] = []
    try:
        runner = MaintenanceRunner(config, target, Timeline("maintenance patch"), said.append)
        record = runner.run(MaintenanceRequest("patch", release="2", allow_destructive=True))
        assert record.outcome == "succeeded", record.validation
        assert record.patch is not None and record.patch.hosts == ("app1", "app2") and record.patch.previous == "1"
        for host in ("app1", "app2"):
            steps = [line.split(": ", 1)[1].split(" (")[0] for line in said if line.startswith(f"{host}: ")]
            assert steps == ["draining", "drained", "switched", "checked", "ready", "soaked"], said
        assert target.currents() == {"app1": "2", "app2": "2"}
        said.clear()
        runner = MaintenanceRunner(config, target, Timeline("maintenance patch"), said.append)
        record = runner.run(MaintenanceRequest("patch", release="3", allow_destructive=True))
        assert record.outcome == "failed" and "app1 switched back to 2" in record.validation, record.validation
        assert target.currents() == {"app1": "2", "app2": "2"}
        assert {s.version for s in target.instance_states()} == {"2"}
    finally:
        try:
            reset(fleet, target)
        finally:
            target.close()
