"""The Target protocol: everything opsready does to or asks of a system under test.

Nothing above the adapters knows which platform it drives: the sandbox and Kubernetes adapters both implement this.
Every target has a lifecycle (its ``kind``, whether it runs, start, stop, close); :mod:`opsready.safety` decides from
the kind alone what a command may do to it and whether a stopped one is started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from opsready.config.suite import TargetKind

"""``disposable``: opsready may create, start, stop and throw it away (the sandbox); ``real``: someone's system."""
Say = Callable[[str], None]


def quiet(_: str) -> None:
    """A progress callback that says nothing."""
    return None


@dataclass(frozen=True)
class Release:
    """A version the target can run."""

    version: str
    description: str = ""
    training: bool = False


@dataclass(frozen=True)
class ReleaseRecord:
    """One entry of the release history: what was switched to, when, and how."""

    version: str
    previous: str | None
    kind: str  # deploy | rollback | emergency
    at: str  # wall clock, ISO 8601 UTC
    note: str = ""


@dataclass(frozen=True)
class Instance:
    """One running component of the target (a supervised process, a pod)."""

    name: str
    state: str
    pid: int | None = None
    detail: str = ""

    @property
    def running(self) -> bool:
        """Whether the component is up."""
        return self.state.upper() == "RUNNING"


@dataclass(frozen=True)
class TargetDescription:
    """What a report says about the target: never credentials."""

    name: str
    platform: str
    base_url: str
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HostExpectations:
    """What a host running the target should look like, for testinfra checks (empty where a platform has none)."""

    services: tuple[str, ...] = ()
    supervisorctl: tuple[str, str] | None = None  # (supervisorctl command, configuration file)
    sockets: tuple[str, ...] = ()  # testinfra socket specs, e.g. "tcp://127.0.0.1:18080"
    release_link: tuple[str, str] | None = None  # (link path, release it must point at)
    private_dirs: tuple[tuple[str, str], ...] = ()  # (directory, owner) that must be mode 0700


@dataclass(frozen=True)
class TargetHost:
    """One host of a multi-host target, for testinfra checks: its testinfra Host and what its role should show."""

    name: str
    role: str
    spec: str
    host: Any  # testinfra.host.Host, over the target's own connection
    expectations: HostExpectations


@runtime_checkable
class HasHosts(Protocol):
    """A target that runs on several hosts of its own (``platform: hosts``): host checks go to each of them."""

    def hosts(self) -> tuple[TargetHost, ...]:
        """Every host of the target with its testinfra Host and its role's expectations."""
        ...


@runtime_checkable
class HasReleasePresence(Protocol):
    """A target on several hosts that can say, host by host, whether a release is present (installed) there: the
    release-candidate gate refuses a candidate that only some hosts have."""

    def release_presence(self, version: str) -> tuple[tuple[str, bool], ...]:
        """Each host of the target, and whether ``version`` is present on it (read-only)."""
        ...


@runtime_checkable
class Target(Protocol):
    """A system under test."""

    name: str
    platform: str
    kind: TargetKind

    @property
    def base_url(self) -> str:
        """The URL users reach the service at."""
        ...

    # -- lifecycle (see opsready.safety for who may call start and stop) ------------------------------------------
    def is_running(self) -> bool:
        """Whether the target is started (not whether it is healthy); read-only, creates nothing."""
        ...

    def start(self, say: Say = quiet) -> None:
        """Start the target and wait until it serves; a platform that cannot start targets raises UsageError."""
        ...

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        """Stop every process of the target (``purge``: also delete what it keeps on this machine)."""
        ...

    def close(self) -> None:
        """Release what opening the target took (connections, port-forwards); the target keeps running."""
        ...

    def describe(self) -> TargetDescription:
        """A description for reports."""
        ...

    def releases(self) -> tuple[Release, ...]:
        """Versions that can be deployed."""
        ...

    def current_release(self) -> str:
        """The version the target is configured to serve."""
        ...

    def history(self) -> tuple[ReleaseRecord, ...]:
        """Release history, oldest first."""
        ...

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        """Switch the service to ``version`` without dropping requests; returns once the switch is done."""
        ...

    def rollback(self, note: str = "") -> ReleaseRecord:
        """Switch back to the release that ran before the current one."""
        ...

    def instances(self) -> tuple[Instance, ...]:
        """The target's components and their state."""
        ...

    def check_database(self, timeout: float = 2.0) -> tuple[bool, str]:
        """Whether the database answers, and how (read-only)."""
        ...

    def testinfra_hosts(self) -> tuple[str, ...]:
        """testinfra host specs for the target's hosts (``local://``, ``kubectl://pod?namespace=ns``)."""
        ...

    def host_expectations(self) -> HostExpectations:
        """What its hosts should look like: services, listening sockets, release link, private directories."""
        ...
