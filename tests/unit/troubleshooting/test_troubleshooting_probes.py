"""The pure parts of the troubleshooting probes and remedies: which part of a wait is to blame, how failures are
named, and the commands a diagnosis prints."""

from __future__ import annotations

import httpx
import pytest

from opsready.probes.breakdown import Breakdown
from opsready.probes.paths import classify as classify_http
from opsready.sandbox.diagnostics import classify as classify_db
from opsready.troubleshooting.model import Remedy


def parts(users: float, app: float, db_net: float, db: float) -> Breakdown:
    return Breakdown(users_network=users, application=app, database_network=db_net, database=db, samples=3)


@pytest.mark.parametrize(
    ("breakdown", "blamed"),
    [
        (parts(0.600, 0.010, 0.001, 0.002), "users-network"),
        (parts(0.505, 0.004, 0.000, 0.001), "users-network"),  # 500 ms at the edge
        (parts(0.226, 0.643, 0.000, 0.001), "application"),  # a slow release, queueing on the public path (seen)
        (parts(0.791, 0.815, 0.000, 0.001), "application"),  # ... just under half: the application dominates
        (parts(0.003, 0.440, 0.400, 0.004), "database-network"),  # an order page pays the delay more than once
        (parts(0.0, 0.819, 0.402, 0.001), "database-network"),  # ... twice, plus a reconnect (seen in CI)
        (parts(0.003, 0.020, 0.002, 0.300), "database"),
        (parts(0.005, 0.410, 0.001, 0.004), "application"),  # a release that sleeps 400 ms
        (parts(0.0, 0.0, 0.0, 0.0), "application"),  # nothing measured on any path: the remainder
    ],
)
def test_the_exact_parts_are_blamed_before_the_applications_remainder(breakdown: Breakdown, blamed: str) -> None:
    """The users' network is to blame at half the wait, a database part at a quarter; else the application."""
    assert breakdown.dominant == blamed


def test_a_breakdown_describes_every_part_in_milliseconds() -> None:
    """The line the performance guide shows."""
    text = parts(0.003, 0.009, 0.003, 0.004).describe()
    assert text == "total 19 ms: users-network 3 ms, application 9 ms, database-network 3 ms, database 4 ms"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "refused"),
        (httpx.ConnectError("All connection attempts failed"), "refused"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "reset"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "reset"),
        (httpx.UnsupportedProtocol("ftp"), "error"),
    ],
)
def test_http_failures_are_named_as_a_troubleshooter_reads_them(exc: httpx.HTTPError, kind: str) -> None:
    """refused: nothing listens; reset: the connection was cut; timeout: nothing answered in time."""
    assert classify_http(exc) == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused', "refused"),
        ("connection failed: FATAL:  sorry, too many clients already", "exhausted"),
        ("database unavailable: no connection within 1.5 s", "timeout"),
        ("database unavailable: no answer within 2 s", "timeout"),
        ("server closed the connection unexpectedly", "reset"),
        ("consuming input failed: EOF detected", "reset"),
        ('relation "orders" does not exist', "error"),
    ],
)
def test_database_failures_are_named_from_the_drivers_message(message: str, kind: str) -> None:
    """The same words for the database path: refused, exhausted (no connection slot), timeout, reset."""
    assert classify_db(message) == kind


def test_remedies_print_the_command_an_operator_runs() -> None:
    """Each remedy as a command; what a runbook must prescribe leaves out one incident's values."""
    assert Remedy("restart", component="api").command() == "opsready remedy restart --component api"
    assert Remedy("reset-link", link="db").prescription() == "opsready remedy reset-link --link db"
    assert Remedy("stop-culprit", culprit="cpu").command(pgid=4321) == "opsready remedy stop-culprit --pgid 4321"
    assert Remedy("stop-culprit", culprit="cpu").prescription() == "opsready remedy stop-culprit --pgid"
    assert Remedy("rollback").command(reason="x") == 'opsready rollback --reason "x"'
    assert Remedy("none").command() == Remedy("none").prescription() == ""
