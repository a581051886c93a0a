"""The sandbox's monitoring: Prometheus and Alertmanager from Debian's packages, under its supervisord.

Both listen on loopback at the sandbox's ports, keep their data in ``<state>/monitoring``, and Alertmanager runs
without its cluster listener. Prometheus scrapes every program (api, worker, edge, db proxy, PostgreSQL through
prometheus-postgres-exporter when installed, itself and Alertmanager), and, through prometheus-blackbox-exporter
when installed, probes the users' entry point from outside (``/healthz`` through the edge, job ``edge_probe``: the
one measure of latency added in the network, which the service's own metrics never see), every
:data:`SCRAPE_INTERVAL`, and evaluates
the suite's alert rules (``runbooks/alerts/*.yaml``); Alertmanager routes every alert to opsready's webhook receiver
(listening only while a drill or test runs it). Without the packages the sandbox runs without monitoring and its
status says why: ``monitoring: auto`` (the default) turns it on when installed, ``on`` insists, ``off`` never.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from opsready.errors import EnvironmentProblem
from opsready.monitoring.rules import check_rules, find_rule_files
from opsready.sandbox.layout import HOST, Layout, Ports
from opsready.sandbox.supervisor import Program

MonitoringMode = Literal["auto", "on", "off"]
MODES: tuple[MonitoringMode, ...] = ("auto", "on", "off")
SCRAPE_INTERVAL = "5s"  # a sandbox's: production scrapes every 15-60 s; rules' windows are production ones
EVALUATION_INTERVAL = "5s"
GROUP_WAIT = "10s"  # Alertmanager's wait before the first page of a group (its default is 30 s)
PROGRAMS = ("postgres_exporter", "blackbox_exporter", "alertmanager", "prometheus")
# executable names: Debian's first, then upstream's
_PROMETHEUS = ("prometheus",)
_ALERTMANAGER = ("prometheus-alertmanager", "alertmanager")
_PG_EXPORTER = ("prometheus-postgres-exporter", "postgres_exporter")
_BLACKBOX = ("prometheus-blackbox-exporter", "blackbox_exporter")
PROBE_JOB = "edge_probe"  # the blackbox exporter's probe of the users' entry point


@dataclass(frozen=True)
class MonitoringState:
    """Whether a sandbox runs monitoring, where, and why not (recorded by ``up``, read by ``status``)."""

    on: bool
    reason: str = ""
    prometheus: str = ""
    alertmanager: str = ""
    rule_files: tuple[str, ...] = ()
    postgres_exporter: bool = False
    blackbox_exporter: bool = False

    def describe(self) -> str:
        """One line for ``sandbox status``."""
        if not self.on:
            return f"off: {self.reason}"
        rules = f"{len(self.rule_files)} rule file(s)" if self.rule_files else "no alert rules"
        pg = "" if self.postgres_exporter else "; PostgreSQL not scraped (no prometheus-postgres-exporter)"
        probe = "" if self.blackbox_exporter else "; the entry point not probed (no prometheus-blackbox-exporter)"
        return f"on: prometheus {self.prometheus}, alertmanager {self.alertmanager}, {rules}{pg}{probe}"


def _which(names: tuple[str, ...]) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


def decide(mode: MonitoringMode, rules_dir: Path | None) -> tuple[MonitoringState, str | None, str | None]:
    """Whether monitoring runs, and the Prometheus and Alertmanager executables (``on`` without them refuses)."""
    if mode == "off":
        return MonitoringState(False, "turned off in the sandbox target (monitoring: off)"), None, None
    prometheus, alertmanager = _which(_PROMETHEUS), _which(_ALERTMANAGER)
    missing = [pkg for pkg, path in (("prometheus", prometheus), ("prometheus-alertmanager", alertmanager)) if not path]
    if missing:
        reason = f"{' and '.join(missing)} not installed (Debian packages; `make test` installs them as root)"
        if mode == "on":
            raise EnvironmentProblem(f"monitoring: on, but {reason}")
        return MonitoringState(False, reason), None, None
    rules = find_rule_files(rules_dir) if rules_dir is not None else []
    if rules:
        problems = check_rules(rules)  # Prometheus would refuse to start on them: refuse before anything starts
        if problems:
            raise problems[0]
    return MonitoringState(True, rule_files=tuple(map(str, rules))), prometheus, alertmanager


def _targets(port: int) -> list[dict[str, list[str]]]:
    return [{"targets": [f"{HOST}:{port}"]}]


def _probe_job(ports: Ports) -> dict[str, object]:
    """The blackbox exporter's probe of the edge, the way users come in (the standard relabelling: the URL becomes
    the probe's ``target`` parameter and its ``instance``, the exporter the address scraped)."""
    return {
        "job_name": PROBE_JOB,
        "metrics_path": "/probe",
        "params": {"module": ["http_2xx"]},
        "static_configs": [{"targets": [f"http://{HOST}:{ports.edge}/healthz"]}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": f"{HOST}:{ports.blackbox_exporter}"},
        ],
    }


def blackbox_config() -> dict[str, object]:
    """blackbox.yml (as data): one module, an HTTP GET that must answer 200 within the scrape's timeout."""
    return {
        "modules": {
            "http_2xx": {
                "prober": "http",
                "timeout": "4s",
                "http": {"valid_status_codes": [200], "preferred_ip_protocol": "ip4", "method": "GET"},
            }
        }
    }


def prometheus_config(
    ports: Ports, engine: str, rule_files: tuple[str, ...], pg_exporter: bool, blackbox: bool = False
) -> dict[str, object]:
    """prometheus.yml (as data): every sandbox program, itself and Alertmanager, the entry point's probe (with the
    blackbox exporter); the suite's rules."""
    jobs = [("api", ports.api), ("worker", ports.worker_metrics), ("edge", ports.edge_metrics)]
    if engine == "postgresql":
        jobs.append(("db_proxy", ports.db_proxy_metrics))
        if pg_exporter:
            jobs.append(("postgres", ports.postgres_exporter))
    jobs += [("prometheus", ports.prometheus), ("alertmanager", ports.alertmanager)]
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": "4s",
            "evaluation_interval": EVALUATION_INTERVAL,
        },
        "rule_files": list(rule_files),
        "alerting": {"alertmanagers": [{"static_configs": _targets(ports.alertmanager)}]},
        "scrape_configs": [{"job_name": job, "static_configs": _targets(port)} for job, port in jobs]
        + ([_probe_job(ports)] if blackbox else []),
    }


def alertmanager_config(ports: Ports) -> dict[str, object]:
    """alertmanager.yml (as data): one route, to opsready's webhook receiver, resolved alerts included."""
    return {
        "route": {
            "receiver": "opsready",
            "group_by": ["alertname", "job"],
            "group_wait": GROUP_WAIT,
            "group_interval": "1m",
            "repeat_interval": "4h",
        },
        "receivers": [
            {
                "name": "opsready",
                "webhook_configs": [{"url": f"http://{HOST}:{ports.alert_receiver}/alerts", "send_resolved": True}],
            }
        ],
    }


def programs(
    layout: Layout,
    ports: Ports,
    *,
    engine: str,
    state: MonitoringState,
    prometheus: str,
    alertmanager: str,
    pg_passfile: Path,
) -> tuple[MonitoringState, list[Program]]:
    """Write the configurations and return the supervised programs (and the state, saying what is scraped)."""
    root = layout.monitoring
    for sub in ("prometheus", "alertmanager"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    exporter = _which(_PG_EXPORTER) if engine == "postgresql" else None
    blackbox = _which(_BLACKBOX)
    state = MonitoringState(
        True,
        prometheus=f"http://{HOST}:{ports.prometheus}",
        alertmanager=f"http://{HOST}:{ports.alertmanager}",
        rule_files=state.rule_files,
        postgres_exporter=exporter is not None,
        blackbox_exporter=blackbox is not None,
    )
    # JSON is YAML: both read these files
    prom_conf, am_conf = root / "prometheus.yml", root / "alertmanager.yml"
    prom_conf.write_text(
        json.dumps(
            prometheus_config(ports, engine, state.rule_files, exporter is not None, blackbox is not None), indent=1
        )
    )
    am_conf.write_text(json.dumps(alertmanager_config(ports), indent=1))
    result = [
        Program(
            "alertmanager",
            f"{alertmanager} --config.file={am_conf} --storage.path={root / 'alertmanager'} "
            f"--web.listen-address={HOST}:{ports.alertmanager} --cluster.listen-address=",
            priority=55,
        ),
        Program(
            "prometheus",
            f"{prometheus} --config.file={prom_conf} --storage.tsdb.path={root / 'prometheus'} "
            f"--web.listen-address={HOST}:{ports.prometheus} --storage.tsdb.retention.time=2d",
            priority=60,
        ),
    ]
    if blackbox is not None:
        probe_conf = root / "blackbox.yml"
        probe_conf.write_text(json.dumps(blackbox_config(), indent=1))
        result.insert(
            0,
            Program(
                "blackbox_exporter",
                f"{blackbox} --config.file={probe_conf} --web.listen-address={HOST}:{ports.blackbox_exporter}",
                priority=25,
            ),
        )
    if exporter is not None:
        from opsready.sandbox.database import PG_DB, PG_USER

        # the password stays in the libpq password file, named by its path (lib/pq reads PGPASSFILE)
        dsn = f"postgresql://{PG_USER}@{HOST}:{ports.postgres}/{PG_DB}?sslmode=disable"
        result.insert(
            0,
            Program(
                "postgres_exporter",
                f"{exporter} --web.listen-address={HOST}:{ports.postgres_exporter}",
                priority=25,
                environment=(("DATA_SOURCE_NAME", dsn), ("PGPASSFILE", str(pg_passfile))),
            ),
        )
    return state, result


def save_state(layout: Layout, state: MonitoringState) -> None:
    """Record the decision for ``status``."""
    layout.monitoring_file.write_text(json.dumps(asdict(state), indent=2) + "\n")


def load_state(layout: Layout) -> MonitoringState | None:
    """The decision the last ``up`` recorded, if any."""
    try:
        data = json.loads(layout.monitoring_file.read_text())
        data["rule_files"] = tuple(data.get("rule_files", ()))
        return MonitoringState(**data)
    except (OSError, ValueError, TypeError):
        return None
