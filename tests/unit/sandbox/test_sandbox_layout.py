"""Ports: documented fixed defaults, auto mode, and a taken port is a clear error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from opsready.errors import EnvironmentProblem
from opsready.sandbox.layout import Layout, Ports, check_ports_free, choose_ports, port_taken


def test_fixed_ports_are_the_documented_ones() -> None:
    """The README documents 18080 (edge), 18081 (api), 15432 (postgres), 15433 (db proxy)."""
    assert choose_ports("fixed", None) == Ports(18080, 18081, 15432, 15433)


def test_auto_ports_are_free_and_distinct() -> None:
    """Auto mode picks a different free loopback port for every component (metrics and monitoring included)."""
    ports = choose_ports("auto", None)
    values = [p for _, p in ports.items()]
    assert len(set(values)) == len(Ports().items()) == 12  # with the blackbox exporter
    assert not any(port_taken(p) for p in values)


def test_a_taken_port_is_an_environment_problem_naming_it() -> None:
    """Someone else's listener is never clashed with silently: the error names the port, the component, the fix."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        ports = Ports(edge=taken, api=1, postgres=2, db_proxy=3)
        with pytest.raises(EnvironmentProblem) as info:
            check_ports_free(ports, skip=("api", "postgres", "db_proxy"))
    assert f"port {taken} (edge)" in info.value.message
    assert "ports: auto" in (info.value.hint or "")
    assert info.value.exit_code == 2


def test_recorded_auto_ports_are_reused_when_free(tmp_path: Path) -> None:
    """A restarted sandbox keeps its ports so bookmarks and clients keep working."""
    layout = Layout(tmp_path)
    first = choose_ports("auto", None)
    layout.save_ports(first)
    assert choose_ports("auto", layout.load_ports()) == first


def test_a_ports_file_from_before_the_metrics_ports_is_incomplete(tmp_path: Path) -> None:
    """A record of the four original ports lacks the rest: `up` chooses afresh instead of using fixed defaults."""
    layout = Layout(tmp_path)
    layout.ports_file.write_text('{"edge": 1, "api": 2, "postgres": 3, "db_proxy": 4}')
    assert not layout.ports_complete()
    layout.save_ports(choose_ports("auto", None))
    assert layout.ports_complete()
