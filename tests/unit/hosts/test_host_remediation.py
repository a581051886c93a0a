"""What a fleet offers an incident's mitigation and a diagnosis, read from the configuration alone (no host is
contacted): its components, its lack of links, and what its diagnostics cannot offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import UsageError
from opsready.incident.mitigation import parse_mitigation
from opsready.targets.diagnostics import HostDiagnostics, ScopedDiagnostics, diagnostics_of, unmet
from opsready.targets.remediation import remediation_of
from tests.unit.hosts.test_hosts_options import GOOD, load  # the complete configuration


def test_the_service_and_each_app_hosts_instance_are_components_and_there_is_no_link(tmp_path: Path) -> None:
    """`restart: orders` and `restart: orders@app1.example.com` pass a runbook's check; a link or another name is
    refused before anything runs, naming what the fleet has."""
    target = load(tmp_path, GOOD)
    fleet = remediation_of(target)
    assert fleet.components() == ("orders", "orders@app1.example.com", "orders@app2.example.com")
    assert fleet.links() == ()
    ok = "## Automated mitigation\n\n```yaml\n- restart: orders\n- restart: orders@app1.example.com\n```\n"
    parse_mitigation(ok, "runbook.md").check(target)
    with pytest.raises(UsageError, match=r"unknown component 'order'.*did you mean 'orders'"):
        parse_mitigation(ok.replace("restart: orders\n", "restart: order\n"), "runbook.md").check(target)
    with pytest.raises(UsageError, match="has no link 'edge' to reset"):
        fleet.reset_link("edge")
    with pytest.raises(UsageError, match="unknown component 'api'"):
        fleet.restart_component("api")


def test_a_fleets_diagnostics_offer_instances_and_host_resources_and_name_the_rest(tmp_path: Path) -> None:
    """HostDiagnostics and ScopedDiagnostics; a single machine's operations are refused with the platform's reason."""
    target = load(tmp_path, GOOD)
    ops = diagnostics_of(target)
    assert isinstance(ops, HostDiagnostics) and isinstance(ops, ScopedDiagnostics)
    assert unmet(target, ("instance-health", "host-resources")) == ()
    assert unmet(target, ("direct-url",)) == (
        "direct-url: a fleet has one URL per instance, not one for the service (see the instances question)",
    )
    with pytest.raises(UsageError, match="processes is not available on platform 'hosts'"):
        ops.process_states()
    assert ops.log_names() == ()
