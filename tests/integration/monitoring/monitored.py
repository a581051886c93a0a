"""What the monitoring drills share: Prometheus's client of a sandbox, the availability KPI's query, and the
incident drill run stage by stage (the suite, sandbox and configuration fixtures are in this directory's
conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.drills.incident import rehearse
from opsready.drills.plan import incident_runbooks, plan_drill
from opsready.incident.drill import DrillResult
from opsready.incident.files import IncidentFiles, check_all
from opsready.incident.responder import AutomaticResponder
from opsready.monitoring.client import PrometheusClient
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox
from opsready.timeline import Timeline

USERS = 'endpoint!~"/healthz|/readyz|/metrics"'
# the users' requests the service answered without a server error, out of those it answered and the connections the
# edge could not pass on while it was down (kpis.availability.prometheus, as docs/monitoring.md has it)
AVAILABILITY = (
    f'sum(increase(opsready_http_requests_total{{status!~"5..", {USERS}}}[$range]))'
    f" / (sum(increase(opsready_http_requests_total{{{USERS}}}[$range]))"
    ' + sum(increase(opsready_proxy_upstream_failures_total{proxy="edge"}[$range])))'
)


def prometheus(sbx: Sandbox) -> PrometheusClient:
    state = sbx.status().monitoring
    assert state is not None and state.on, state
    return PrometheusClient(state.prometheus)


def drill(
    config: Config, sandbox: Sandbox, runbook: str, acknowledged: Callable[[], None] = lambda: None
) -> DrillResult:
    """The incident drill of ``runbook`` on the sandbox, every stage, its faults reverted whatever happens;
    ``acknowledged`` is called between the acknowledgement and the mitigation."""
    sandbox.wait_ready(60.0)  # a test before may just have started a program again
    files = IncidentFiles.of(config)
    checked, problems = check_all(files, datetime.now(tz=UTC))
    assert checked is not None, [p.render() for p in problems]
    target = SandboxTarget("sandbox", sandbox)
    planned = plan_drill(config.root, incident_runbooks(files)[runbook], target)
    timeline = Timeline(runbook)
    faults = DrillFaults(config, target, timeline, "incident drill")
    try:
        rehearsal = rehearse(
            planned, checked, files, target, timeline, faults=faults, responder=AutomaticResponder(), traffic=None
        )
        stages = rehearsal.drill
        stages.prepare()
        rehearsal.inject()  # through the chaos guard: journaled, reverted whatever happens
        stages.detect()
        stages.classify()
        stages.acknowledge()
        acknowledged()
        stages.mitigate()
        stages.recover()
        return rehearsal.finish().result
    finally:
        faults.close()
