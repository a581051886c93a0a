"""Maintenance silences on a real sandbox with monitoring: during a housekeeping window the database's alert fires for
real and is not delivered while the api's (untouched) is; the silence is gone afterwards; a harness killed mid-window
leaves a silence that ends at its endsAt by itself, or that `opsready recover` expires; a hosts or kubernetes target
pointing at this Prometheus and Alertmanager reads them and may silence only with ``allow: [silences]``.

Figures (``-rA``): silence create and expire times, time to alert, the delivery checks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opsready.config import Config, load_config
from opsready.maintenance.procedures import MaintenanceRequest
from opsready.maintenance.runner import MaintenanceRunner
from opsready.monitoring.client import AlertmanagerClient, PrometheusClient
from opsready.monitoring.receiver import AlertReceiver
from opsready.monitoring.silence_journal import SilenceSession
from opsready.monitoring.silence_recovery import read_leftover
from opsready.monitoring.silences import SilenceClient, silence_access
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.monitoring import GROUP_WAIT
from opsready.targets.registry import open_target
from opsready.timeline import Timeline

from .needs import NEEDS_MONITORING, ROOT

POLL = 0.5
GROUP_WAIT_S = float(GROUP_WAIT.rstrip("s"))

pytestmark = NEEDS_MONITORING


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A suite directory: the repository's runbooks (templates, alert rules) and a state directory."""
    root = tmp_path_factory.mktemp("silence-suite")
    (root / "runbooks").symlink_to(ROOT / "runbooks")
    return root


@pytest.fixture(scope="module")
def sandbox(suite: Path) -> Iterator[Sandbox]:
    """A PostgreSQL-backed sandbox with monitoring on, on free ports, evaluating the suite's alert rules."""
    sbx = Sandbox(
        SandboxOptions(
            state_dir=suite / "state", ports="auto", monitoring="on", alert_rules=ROOT / "runbooks" / "alerts"
        )
    )
    try:
        sbx.up()
        yield sbx
    finally:
        sbx.down(purge=True)


@pytest.fixture(scope="module")
def config_path(suite: Path, sandbox: Sandbox) -> Path:
    """opsready.yaml for this sandbox, records and notices inside the suite directory."""
    path = suite / "opsready.yaml"
    path.write_text(
        f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {sandbox.layout.state}\n"
        "    ports: auto\n    monitoring: 'on'\n"
    )
    return path


@pytest.fixture
def config(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The loaded configuration (the environment's own sandbox settings do not apply here)."""
    monkeypatch.delenv("OPSREADY_STATE_DIR", raising=False)
    monkeypatch.delenv("OPSREADY_PORTS", raising=False)
    return load_config(config_path)


def _urls(sandbox: Sandbox) -> tuple[str, str]:
    state = sandbox.status().monitoring
    assert state is not None and state.on, state
    return state.prometheus, state.alertmanager


def _firing(client: PrometheusClient, name: str, deadline: float) -> float | None:
    while time.monotonic() < deadline:
        if any(a.name == name and a.state == "firing" for a in client.alerts()):
            return time.monotonic()
        time.sleep(POLL)
    return None


def _am_alert(alertmanager: str, name: str) -> dict[str, object] | None:
    """Alertmanager's view of one alert (its status says suppressed and by which silence), None when it holds none."""
    found = httpx.get(f"{alertmanager}/api/v2/alerts", params={"filter": f'alertname="{name}"'}, timeout=5).json()
    return found[0] if found else None


def test_a_maintenance_window_silences_what_it_touches_and_nothing_else(
    sandbox: Sandbox, config: Config, record_property: pytest.RecordProperty
) -> None:
    """Housekeeping touches the database: its silence (job=~"postgres|db_proxy") is active during the work; the
    database's path stopped fires OrdersDatabaseDown, which Alertmanager suppresses and never delivers, while the api
    stopped at the same moment fires OrdersServiceDown, which is delivered. After the window the silence is expired."""
    prometheus_url, alertmanager_url = _urls(sandbox)
    client, silences = PrometheusClient(prometheus_url), SilenceClient(alertmanager_url)
    status = sandbox.status()
    assert status.ports is not None
    seen: dict[str, object] = {}

    def during_the_work(message: str) -> None:
        if message != "database housekeeping":  # the work has started: the window's silence is in place
            return
        seen["silences"] = [s for s in silences.find("maintenance housekeeping") if s.state == "active"]
        supervisor = sandbox.supervisor()
        stopped = time.monotonic()
        supervisor.stop("db_proxy")
        supervisor.stop("api")
        try:
            deadline = stopped + 180
            seen["db_fired"] = _firing(client, "OrdersDatabaseDown", deadline)
            seen["api_fired"] = _firing(client, "OrdersServiceDown", deadline)
            page = receiver.wait_for("OrdersServiceDown", timeout=GROUP_WAIT_S + 30)
            seen["api_paged"] = page.received if page is not None else None
            # the database's alert gets as long as the api's took to be paged, and group_wait + 5 s more
            fired = seen["db_fired"]
            if isinstance(fired, float):
                time.sleep(max(0.0, fired + GROUP_WAIT_S + 5 - time.monotonic()))
            seen["db_in_alertmanager"] = _am_alert(alertmanager_url, "OrdersDatabaseDown")
            seen["stopped"] = stopped
        finally:
            supervisor.start("db_proxy")
            supervisor.start("api")
            sandbox.wait_ready(60.0)
        # the window ends with the database healthy again: Alertmanager has its resolution before the silence ends
        until = time.monotonic() + 60
        while _am_alert(alertmanager_url, "OrdersDatabaseDown") is not None and time.monotonic() < until:
            time.sleep(POLL)

    target = SandboxTarget("sandbox", sandbox)
    with AlertReceiver(status.ports.alert_receiver) as receiver:
        record = MaintenanceRunner(config, target, Timeline("housekeeping"), during_the_work).run(
            MaintenanceRequest("housekeeping", force_reason="silence integration test")
        )
        time.sleep(GROUP_WAIT_S + 2)  # anything Alertmanager held back would arrive now
        names = {(a.name, a.status) for d in receiver.deliveries() for a in d.alerts}
    made = record.silence
    assert made is not None and made.made, record.silence
    assert made.components == ("database",) and made.matchers == ('job=~"postgres|db_proxy"',)
    active = seen["silences"]
    assert isinstance(active, list) and [s.id for s in active] == list(made.ids), active
    assert seen["db_fired"] is not None, "OrdersDatabaseDown never fired with the db proxy stopped"
    assert seen["api_fired"] is not None and seen["api_paged"] is not None, "the untouched api's alert was not paged"
    db = seen["db_in_alertmanager"]
    assert isinstance(db, dict), "Alertmanager never received OrdersDatabaseDown"
    assert db["status"] == {"state": "suppressed", "silencedBy": list(made.ids), "inhibitedBy": []}, db
    assert ("OrdersDatabaseDown", "firing") not in names, names
    assert ("OrdersServiceDown", "firing") in names, names
    # after the window: expired by the run, and the journal closed
    assert made.removed and made.remove_seconds is not None
    after = silences.get(made.ids[0])
    assert after is not None and after.state == "expired", after
    journal = Path(made.journal).read_text().splitlines()
    assert json.loads(journal[-1])["record"] == "closed"
    assert record.ok, record.summary()
    stopped = seen["stopped"]
    assert isinstance(stopped, float)
    figures = (
        f"silence create {made.create_seconds * 1000:.0f} ms, expire {made.remove_seconds * 1000:.0f} ms; "
        f"OrdersDatabaseDown fired {seen['db_fired'] - stopped:.1f} s after the stop (suppressed, not delivered "  # type: ignore[operator]
        f"in the {GROUP_WAIT_S:.0f}+5 s after firing, nor by the window's end); OrdersServiceDown fired "
        f"{seen['api_fired'] - stopped:.1f} s, paged {seen['api_paged'] - stopped:.1f} s after the stop"  # type: ignore[operator]
    )
    record_property("silence", figures)
    print(figures)


def test_work_that_overruns_its_window_keeps_its_silence_until_the_new_end(sandbox: Sandbox, config: Config) -> None:
    """Housekeeping planned for 2 s whose pre-checks take 0.6 s more and whose work takes 4: shortly before its
    silence would end (at the planned end, mid-work) it is extended to the latest end the 2-hour KPI allows, journaled,
    and still expired at the end. The slow pre-checks are the case where timing the extension from the start of the
    work (1.5 s into it, at least 2.1 s into the window) lets the silence end first."""
    _, alertmanager_url = _urls(sandbox)
    silences = SilenceClient(alertmanager_url)
    seen: dict[str, object] = {}

    def slow_work(message: str) -> None:
        if message.startswith("pre-maintenance checks"):
            time.sleep(0.6)  # part of the window spent before the work starts (the real checks leave ~0.9 s)
            return
        if message != "database housekeeping":
            return
        seen["before"] = [s.ends_at for s in silences.find("maintenance housekeeping") if s.state == "active"]
        time.sleep(4.0)  # the plan's 2 s pass: the silence is extended meanwhile
        seen["after"] = [s.ends_at for s in silences.find("maintenance housekeeping") if s.state == "active"]

    timeline = Timeline("overrun")
    target = SandboxTarget("sandbox", sandbox)
    started = time.time()
    record = MaintenanceRunner(config, target, timeline, slow_work).run(
        MaintenanceRequest("housekeeping", planned=2.0, force_reason="silence overrun test")
    )
    made = record.silence
    assert made is not None and made.made and made.removed, made
    extended = timeline.first("silence_extended")
    assert extended is not None and timeline.first("extended") is not None, [
        (e.kind, e.detail) for e in timeline.events
    ]
    before, after = seen["before"], seen["after"]
    assert isinstance(before, list) and isinstance(after, list) and len(before) == len(after) == 1, seen
    assert before[0] < after[0], seen  # RFC 3339 in UTC: later sorts later
    assert made.ends_at > started + 3600, made  # the KPI's latest end (2 hours from the start), not the plan's 2 s
    records = [json.loads(line)["record"] for line in Path(made.journal).read_text().splitlines()]
    assert "extended" in records and records[-1] == "closed", records
    assert all(s.state == "expired" for s in silences.find("silence overrun test") + silences.find("housekeeping"))


def test_a_silence_that_ended_before_its_extension_is_made_anew(sandbox: Sandbox, tmp_path: Path) -> None:
    """A silence that ended before the keeper could extend it (a window too short, a machine too busy) is made anew
    until the new end: journaled `renewed` (the old one `ended`), the outcome names the component whose alerts went
    unsilenced in between, and closing expires the new silence."""
    _, alertmanager_url = _urls(sandbox)
    silences = SilenceClient(alertmanager_url)
    session = SilenceSession(tmp_path / "journals", SandboxTarget("sandbox", sandbox), "renew test", ("database",))
    made = session.open(1.0)
    assert made.made and len(made.ids) == 1, made
    deadline = time.monotonic() + 30
    while (old := silences.get(made.ids[0])) is None or old.state != "expired":
        assert time.monotonic() < deadline, f"the 1 s silence never ended: {old}"
        time.sleep(0.2)
    ends = time.time() + 120
    renewed = session.extend(ends)
    assert renewed.renewed == ("database",) and not renewed.why and renewed.ends_at == ends, renewed
    assert renewed.ids != made.ids and "made anew for database" in renewed.describe(), renewed
    new = silences.get(renewed.ids[0])
    assert new is not None and new.state == "active" and new.matchers == old.matchers, new
    assert new.comment == old.comment, (new.comment, old.comment)  # the run's tag: recover finds it by that too
    records = [json.loads(line) for line in Path(made.journal).read_text().splitlines()]
    assert {"record": "ended", "id": made.ids[0], "by": "endsAt"}.items() <= records[-4].items(), records
    assert records[-1]["record"] == "renewed" and records[-1]["new_id"] == new.id, records
    leftover = read_leftover(Path(made.journal))  # what recover would end if this run died now: the new one only
    assert leftover is not None and leftover.open_ids == (new.id,), leftover
    done = session.close()
    assert done.removed and done.renewed == ("database",), done
    assert (gone := silences.get(new.id)) is not None and gone.state == "expired", gone
    assert json.loads(Path(made.journal).read_text().splitlines()[-1])["record"] == "closed"


def test_a_silence_someone_expired_is_not_made_anew(sandbox: Sandbox, tmp_path: Path) -> None:
    """An operator who expires the maintenance's silence wants its alerts back: the extension says so and leaves it
    ended (no new silence), and the run still closes its journal."""
    _, alertmanager_url = _urls(sandbox)
    silences = SilenceClient(alertmanager_url)
    session = SilenceSession(tmp_path / "journals", SandboxTarget("sandbox", sandbox), "expired test", ("database",))
    made = session.open(60.0)
    assert made.made, made
    assert silences.expire(made.ids[0])  # by hand, as `amtool silence expire` would
    kept = session.extend(time.time() + 120)
    assert not kept.renewed and "expired by someone" in kept.why and kept.ids == made.ids, kept
    assert [s.state for s in silences.find("expired test")] == ["expired"], silences.find("expired test")
    assert session.close().removed is True
    assert json.loads(Path(made.journal).read_text().splitlines()[-1])["record"] == "closed"


def test_pre_checks_that_outlast_the_window_get_their_silence_made_anew(sandbox: Sandbox, config: Config) -> None:
    """Housekeeping planned for 1 s whose pre-checks take 1.5 s more: its silence has ended before the work starts,
    so the keeper makes it anew at once; the timeline says `silence_renewed` and the run still expires it."""
    _, alertmanager_url = _urls(sandbox)
    silences = SilenceClient(alertmanager_url)

    def slow_pre_checks(message: str) -> None:
        if message.startswith("pre-maintenance checks"):
            time.sleep(1.5)

    timeline = Timeline("renewed")
    record = MaintenanceRunner(config, SandboxTarget("sandbox", sandbox), timeline, slow_pre_checks).run(
        MaintenanceRequest("housekeeping", planned=1.0, force_reason="silence renewal test")
    )
    made = record.silence
    assert made is not None and made.made and made.removed and made.renewed, made
    renewed = timeline.first("silence_renewed")
    assert renewed is not None and "not silenced in between" in renewed.detail, [
        (e.kind, e.detail) for e in timeline.events
    ]
    records = [json.loads(line)["record"] for line in Path(made.journal).read_text().splitlines()]
    assert "renewed" in records and records[-1] == "closed", records
    assert all(s.state == "expired" for s in silences.find("silence renewal test") + silences.find("housekeeping"))


def _cli(config_path: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPSREADY_STATE_DIR", "OPSREADY_PORTS")}
    env["OPSREADY_CONFIG"] = str(config_path)
    return subprocess.Popen(
        [sys.executable, "-m", "opsready.cli", *args],
        cwd=config_path.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def _kill_in_the_window(config_path: Path, journals: Path, planned: str) -> tuple[str, float]:
    """Start `opsready maintenance run housekeeping`, freeze and SIGKILL it as soon as its silence is journaled;
    the silence id and its end (epoch)."""
    before = set(journals.glob("*.jsonl")) if journals.is_dir() else set()
    proc = _cli(
        config_path, "maintenance", "run", "housekeeping", "--force", "--reason", "kill test", "--planned", planned
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            new = [p for p in journals.glob("*.jsonl") if p not in before] if journals.is_dir() else []
            records = [json.loads(line) for p in new for line in p.read_text().splitlines() if line.endswith("}")]
            created = [r for r in records if r["record"] == "created"]
            if created:
                os.kill(proc.pid, signal.SIGSTOP)  # our own child: frozen before it can expire what it made
                os.kill(proc.pid, signal.SIGKILL)
                ends = next(r["ends"] for r in records if r["record"] == "intent")
                return str(created[0]["id"]), float(ends)
            time.sleep(0.01)
        raise AssertionError(f"no silence was journaled; output: {proc.communicate(timeout=30)[0]}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_a_killed_maintenance_leaves_a_silence_that_ends_by_itself_or_that_recover_expires(
    sandbox: Sandbox, config_path: Path, record_property: pytest.RecordProperty
) -> None:
    """SIGKILL mid-window: a 6 s window's silence is ended by Alertmanager at its endsAt with no opsready running;
    a 30 min window's is expired by `opsready recover`, whose second run finds nothing."""
    _, alertmanager_url = _urls(sandbox)
    silences = SilenceClient(alertmanager_url)
    journals = sandbox.layout.state / "silences"
    short_id, short_ends = _kill_in_the_window(config_path, journals, "6s")
    long_id, _ = _kill_in_the_window(config_path, journals, "30m")
    assert (s := silences.get(long_id)) is not None and s.state == "active", s
    while time.time() < short_ends + 10:
        short = silences.get(short_id)
        assert short is not None
        if short.state == "expired":
            break
        time.sleep(0.2)
    ended_late = time.time() - short_ends
    assert short.state == "expired", f"Alertmanager did not end the silence at its endsAt: {short}"
    started = time.monotonic()
    recover = _cli(config_path, "recover")
    output = recover.communicate(timeout=120)[0]
    took = time.monotonic() - started
    assert recover.returncode == 0, output
    assert f"expired silence {long_id}" in output, output
    assert f"silence {short_id}" in output and "had already ended at its endsAt" in output, output
    assert (s := silences.get(long_id)) is not None and s.state == "expired", s
    again = _cli(config_path, "recover")
    output = again.communicate(timeout=120)[0]
    assert again.returncode == 0 and "nothing to recover" in output, output
    figures = (
        f"killed harness: Alertmanager ended the 6 s window's silence {max(0.0, ended_late):.1f} s after its endsAt "
        f"(polled every 0.2 s); `opsready recover` expired the other in {took:.1f} s (CLI start included)"
    )
    record_property("recover", figures)
    print(figures)


HOSTS = """\
version: 1
targets:
  prod:
    platform: hosts
    ssh: {{known_hosts: keys/known_hosts}}
    roles:
      app: {{hosts: ['ssh://deploy@app1.example.com']}}
    service: {{name: orders}}
    releases: {{names: ['1.0.0'], dir: /srv/orders/releases, current: /srv/orders/current}}
    balancer: {{url: 'https://orders.example.com/'}}
{monitoring}"""
KUBERNETES = """\
version: 1
targets:
  prod:
    platform: kubernetes
    namespace: orders
    deployment: orders-api
    container: api
    image: registry.example/orders:{{version}}
    service_url: http://127.0.0.1:8080
{monitoring}safety:
  kubernetes_namespaces: [orders]
"""


@pytest.mark.parametrize("template", [HOSTS, KUBERNETES], ids=["hosts", "kubernetes"])
def test_a_target_reads_its_own_monitoring_and_silences_only_where_allowed(
    sandbox: Sandbox, tmp_path: Path, template: str
) -> None:
    """A hosts or kubernetes target's `monitoring:` points at this Prometheus and Alertmanager: both are read (the
    api's scrape is up); without `allow: [silences]` no silence is made and the refusal names the setting; with it,
    a maintenance's silence is made there with the configured matchers and expired."""
    prometheus_url, alertmanager_url = _urls(sandbox)
    path = tmp_path / "opsready.yaml"
    read_only = f"    monitoring: {{prometheus: '{prometheus_url}', alertmanager: '{alertmanager_url}'}}\n"
    path.write_text(template.format(monitoring=read_only))
    target = open_target(load_config(path), "prod")
    endpoints = target.monitoring()  # type: ignore[attr-defined]
    assert endpoints is not None and endpoints.receiver_port is None
    deadline = time.monotonic() + 60
    while {t.job: t.health for t in PrometheusClient(endpoints.prometheus).targets()}.get("api") != "up":
        assert time.monotonic() < deadline, "the api's scrape never read as up"
        time.sleep(1)
    AlertmanagerClient(endpoints.alertmanager).alert_names()  # answers: read access works
    allowed, why = silence_access(target)
    line = path.read_text().splitlines().index(read_only.rstrip("\n")) + 1
    assert allowed is None and f"targets.prod.monitoring.allow ({path}:{line})" in why, why
    refused = SilenceSession(tmp_path / "journals", target, "maintenance test", ("database",)).open(60)
    assert not refused.made and "allows no silences" in refused.why, refused
    assert not (tmp_path / "journals").exists(), "a refused silence must leave no journal"
    allowing = (
        f"    monitoring:\n      prometheus: '{prometheus_url}'\n      alertmanager: '{alertmanager_url}'\n"
        "      allow: [silences]\n      components: {database: ['job=~\"postgres|db_proxy\"']}\n"
    )
    path.write_text(template.format(monitoring=allowing))
    target = open_target(load_config(path), "prod")
    session = SilenceSession(tmp_path / "journals", target, "maintenance test", ("database",))
    made = session.open(60)
    assert made.made and made.matchers == ('job=~"postgres|db_proxy"',), made
    silences = SilenceClient(alertmanager_url)
    assert (s := silences.get(made.ids[0])) is not None and s.state == "active", s
    done = session.close()
    assert done.removed and (s := silences.get(made.ids[0])) is not None and s.state == "expired", s
