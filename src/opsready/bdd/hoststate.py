"""Host-state steps through testinfra's standard ``host`` fixture (``--hosts`` picks the hosts; local by default)."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then

from opsready.eventually import eventually
from opsready.targets.protocol import ReleaseRecord, Target


@then("every service of the target is running on its host")
def services_running(host: Any, target: Target) -> None:
    """Each supervised service is RUNNING according to supervisorctl."""
    facts = target.host_expectations()
    assert facts.services, "the target declares no services"
    assert facts.supervisorctl is not None
    path, conf = facts.supervisorctl

    def check() -> None:
        states = {s: host.supervisor(s, path, conf).status for s in facts.services}
        assert all(v == "RUNNING" for v in states.values()), states

    eventually(check, timeout=15.0)


@then("the target's sockets are listening")
def sockets_listening(host: Any, target: Target) -> None:
    """Every expected loopback socket accepts connections."""
    sockets = target.host_expectations().sockets
    assert sockets, "the target declares no sockets"
    closed = [spec for spec in sockets if not host.socket(spec).is_listening]
    assert not closed, f"not listening: {closed}"


def link_problem(path: str, linked_to: str, history: tuple[ReleaseRecord, ...]) -> str | None:
    """Why the release link at ``path`` (resolved to ``linked_to``) is not the release the history says is current.

    The expectation comes from the release history, never from the link itself: a link switched behind the
    deployment procedure's back (by hand, or by a deploy that died half-way) must not pass.
    """
    if not history:
        return f"the release history is empty: nothing says which release {path} should point at"
    expected = history[-1].version
    if not linked_to.endswith(f"/releases/{expected}"):
        return f"{path} -> {linked_to}, but the release history says {expected} is current ({history[-1].at})"
    return None


@then("the release link points at the current release")
def release_link(host: Any, target: Target) -> None:
    """The ``current`` link is a symlink to the release the target's release history says is current."""
    link = target.host_expectations().release_link
    assert link is not None, "this target has no release link"
    path = link[0]
    f = host.file(path)
    assert f.is_symlink, f"{path} is not a symlink"
    problem = link_problem(path, f.linked_to, target.history())
    assert problem is None, problem


@then("the data directories are private to their owner")
def private_dirs(host: Any, target: Target) -> None:
    """Database data directories are mode 0700 and owned by the server's account."""
    for path, owner in target.host_expectations().private_dirs:
        d = host.file(path)
        assert d.is_directory, f"{path} is missing"
        assert d.mode == 0o700, f"{path} has mode {oct(d.mode)}"
        assert d.user == owner, f"{path} is owned by {d.user}, expected {owner}"
