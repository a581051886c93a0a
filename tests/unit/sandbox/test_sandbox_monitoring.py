"""Whether a sandbox runs monitoring, and the configurations it writes (no process started here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsready.errors import EnvironmentProblem, ValidationError
from opsready.sandbox.layout import Layout, Ports
from opsready.sandbox.monitoring import MonitoringState, decide, load_state, programs, save_state

ALERTS = Path(__file__).resolve().parents[3] / "runbooks" / "alerts"


def test_without_the_packages_monitoring_is_off_and_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """auto on a machine without Prometheus: off, naming both packages; `on` refuses to start at all."""
    monkeypatch.setenv("PATH", str(tmp_path))
    state, prometheus, alertmanager = decide("auto", ALERTS)
    assert (state.on, prometheus, alertmanager) == (False, None, None)
    assert "prometheus and prometheus-alertmanager not installed" in state.reason
    assert state.describe().startswith("off: prometheus and prometheus-alertmanager not installed")
    with pytest.raises(EnvironmentProblem, match="monitoring: on, but prometheus"):
        decide("on", ALERTS)


def test_off_is_off_whatever_is_installed() -> None:
    """monitoring: off never looks for the packages."""
    state, prometheus, _ = decide("off", ALERTS)
    assert not state.on and prometheus is None
    assert "monitoring: off" in state.reason


def test_the_decision_is_recorded_for_status(tmp_path: Path) -> None:
    """`status` reads what `up` decided."""
    layout = Layout(tmp_path)
    save_state(layout, MonitoringState(False, "turned off"))
    assert load_state(layout) == MonitoringState(False, "turned off")
    assert load_state(Layout(tmp_path / "none")) is None


def test_prometheus_scrapes_every_program_and_alertmanager_pages_opsready(tmp_path: Path) -> None:
    """The written configurations: a job per program on its own port, the rules, Alertmanager without a cluster
    listener and routed to the alert receiver's port."""
    layout, ports = Layout(tmp_path), Ports()
    state, made = programs(
        layout,
        ports,
        engine="postgresql",
        state=MonitoringState(True, rule_files=(str(ALERTS / "service.yaml"),)),
        prometheus="/usr/bin/prometheus",
        alertmanager="/usr/bin/prometheus-alertmanager",
        pg_passfile=tmp_path / "pgpass",
    )
    config = yaml.safe_load((layout.monitoring / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    probe = next((job for job in config["scrape_configs"] if job["job_name"] == "edge_probe"), None)
    assert (probe is not None) == state.blackbox_exporter
    if probe is not None:  # the blackbox exporter asks the edge, as users come in, for /healthz
        assert jobs.pop("edge_probe") == [f"http://127.0.0.1:{ports.edge}/healthz"]
        assert probe["metrics_path"] == "/probe" and probe["params"] == {"module": ["http_2xx"]}
        assert probe["relabel_configs"][-1]["replacement"] == f"127.0.0.1:{ports.blackbox_exporter}"
        assert (
            f"--web.listen-address=127.0.0.1:{ports.blackbox_exporter}"
            in {p.name: p.command for p in made}["blackbox_exporter"]
        )
        assert "http_2xx" in yaml.safe_load((layout.monitoring / "blackbox.yml").read_text())["modules"]
    expected = {"api": ports.api, "worker": ports.worker_metrics, "edge": ports.edge_metrics}
    expected |= {"db_proxy": ports.db_proxy_metrics, "prometheus": ports.prometheus, "alertmanager": ports.alertmanager}
    if state.postgres_exporter:
        expected["postgres"] = ports.postgres_exporter
    assert jobs == {job: [f"127.0.0.1:{port}"] for job, port in expected.items()}
    assert config["rule_files"] == [str(ALERTS / "service.yaml")]
    route = yaml.safe_load((layout.monitoring / "alertmanager.yml").read_text())
    assert route["receivers"][0]["webhook_configs"][0]["url"] == f"http://127.0.0.1:{ports.alert_receiver}/alerts"
    commands = {p.name: p.command for p in made}
    assert commands["alertmanager"].endswith("--cluster.listen-address=")
    assert f"--web.listen-address=127.0.0.1:{ports.prometheus}" in commands["prometheus"]
    assert str(layout.monitoring / "prometheus") in commands["prometheus"]  # data in the state directory
    if state.postgres_exporter:
        env = dict(next(p for p in made if p.name == "postgres_exporter").environment)
        assert "password" not in env["DATA_SOURCE_NAME"] and env["PGPASSFILE"] == str(tmp_path / "pgpass")


@pytest.mark.monitoring
@pytest.mark.skipif(not decide("auto", None)[0].on, reason="Prometheus and Alertmanager are not installed")
def test_a_rule_file_prometheus_would_refuse_stops_the_start_at_its_line(tmp_path: Path) -> None:
    """Prometheus exits on a rule file it cannot load: `up` refuses first, with promtool's complaint at its line."""
    (tmp_path / "bad.yaml").write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n")
    with pytest.raises(ValidationError) as caught:
        decide("auto", tmp_path)
    assert str(caught.value.loc) == f"{tmp_path / 'bad.yaml'}:5"
    assert caught.value.exit_code == 2
