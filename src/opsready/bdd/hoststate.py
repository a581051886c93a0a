"""Host-state steps through testinfra: the target's own hosts when it has several (``platform: hosts``, each with
its role's expectations), else testinfra's standard ``host`` fixture (``--hosts`` picks it; local by default)."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then

from opsready.eventually import eventually
from opsready.targets.protocol import HasHosts, HostExpectations, ReleaseRecord, Target


def checked_hosts(host: Any, target: Target) -> list[tuple[str, Any, HostExpectations]]:
    """(name, testinfra Host, expectations) of every host to check."""
    if isinstance(target, HasHosts):
        return [(h.name, h.host, h.expectations) for h in target.hosts()]
    return [("host", host, target.host_expectations())]


@then("every service of the target is running on its host")
def services_running(host: Any, target: Target) -> None:
    """Each supervised service is RUNNING according to supervisorctl."""
    supervised = [
        (name, h, service, f.supervisorctl)
        for name, h, f in checked_hosts(host, target)
        if f.supervisorctl is not None
        for service in f.services
    ]
    assert supervised, "the target declares no supervised services"

    def check() -> None:
        states = {(name, s): h.supervisor(s, path, conf).status for name, h, s, (path, conf) in supervised}
        assert all(v == "RUNNING" for v in states.values()), states

    eventually(check, timeout=15.0)


@then("the target's sockets are listening")
def sockets_listening(host: Any, target: Target) -> None:
    """Every expected socket accepts connections."""
    hosts = checked_hosts(host, target)
    assert any(f.sockets for _, _, f in hosts), "the target declares no sockets"
    closed = [(name, spec) for name, h, f in hosts for spec in f.sockets if not h.socket(spec).is_listening]
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
    """Each ``current`` link is a symlink to the release the target's release history says is current."""
    links = [(name, h, f.release_link[0]) for name, h, f in checked_hosts(host, target) if f.release_link is not None]
    assert links, "this target has no release link"
    history = target.history()
    for name, h, path in links:
        f = h.file(path)
        assert f.is_symlink, f"{name}: {path} is not a symlink"
        problem = link_problem(path, f.linked_to, history)
        assert problem is None, f"{name}: {problem}"


@then("the data directories are private to their owner")
def private_dirs(host: Any, target: Target) -> None:
    """Database data directories are mode 0700 and owned by the server's account."""
    for name, h, facts in checked_hosts(host, target):
        for path, owner in facts.private_dirs:
            d = h.file(path)
            assert d.is_directory, f"{name}: {path} is missing"
            assert d.mode == 0o700, f"{name}: {path} has mode {oct(d.mode)}"
            assert d.user == owner, f"{name}: {path} is owned by {d.user}, expected {owner}"
