"""The chaos session of this process: configuration, target, guard and timeline that the activities work with.

chaostoolkit calls activity functions with nothing but their arguments (and the experiment's ``configuration``), so
the context they share lives here. The experiment runner activates a session it built itself; under plain ``chaos
run`` the first activity opens one from ``configuration`` (``opsready_config``, ``opsready_target``,
``opsready_allow_destructive``) or from opsready.yaml found from the working directory, and the opsready control
closes it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsready.chaos.guard import FaultGuard
from opsready.chaos.journal import FaultJournal
from opsready.chaos.shield import Shield
from opsready.config import Config
from opsready.errors import UsageError
from opsready.probes.registry import ProbeCall
from opsready.safety import check_destructive, ensure_running
from opsready.targets.faults import FaultInjectable, faults_of
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

Say = Callable[[str], None]


def stderr_say(message: str) -> None:
    """Progress on stderr, so a journal or JSON on stdout stays clean."""
    print(f"opsready: {message}", file=sys.stderr, flush=True)


@dataclass
class Session:
    """What the activities of one experiment run share."""

    config: Config
    target: Target
    timeline: Timeline
    experiment: str = ""
    hypothesis: tuple[ProbeCall, ...] = ()
    refused: str = ""
    say: Say = stderr_say
    owned: bool = False  # opened by an activity (plain `chaos run`): the control closes it
    shield: Shield | None = None  # one armed before the guard exists (the runner's), or the guard makes its own
    _guard: FaultGuard | None = field(default=None, repr=False)

    @property
    def faults(self) -> FaultInjectable:
        """The target as a fault-injecting one."""
        return faults_of(self.target)

    @property
    def guard(self) -> FaultGuard:
        """The guard of this run (its journal is created with the first fault)."""
        if self._guard is None:
            journal = FaultJournal.create(
                self.faults.fault_journal_dir(), self.experiment, self.target.name, str(self.config.path)
            )
            self._guard = FaultGuard(
                self.faults,
                journal,
                self.config.path,
                self.target.name,
                timeline=self.timeline,
                say=self.say,
                shield=self.shield,
            )
        return self._guard

    @property
    def started(self) -> bool:
        """Whether a guard (and so a journal) exists."""
        return self._guard is not None

    def check_allowed(self) -> None:
        """Refuse faults when the experiment failed validation."""
        if self.refused:
            raise UsageError(f"refused: the experiment did not validate, so no fault is injected: {self.refused}")

    def close(self) -> None:
        """Revert whatever is left and close the journal."""
        if self._guard is not None:
            self._guard.close()


_current: Session | None = None


def existing() -> Session | None:
    """The active session, if any."""
    return _current


def current(configuration: Mapping[str, Any] | None = None) -> Session:
    """The active session; under plain ``chaos run`` the first call opens one from ``configuration``."""
    global _current
    if _current is None:
        _current = _open(dict(configuration or {}))
    return _current


def _open(configuration: dict[str, Any]) -> Session:
    from opsready.config import load_config
    from opsready.targets.registry import open_target

    path = configuration.get("opsready_config")
    config = load_config(Path(path) if path else None)
    name = configuration.get("opsready_target")
    allowed = bool(configuration.get("opsready_allow_destructive", False))
    check_destructive(config, config.target(name), allowed, entry="chaostoolkit")  # before the target is opened
    target = open_target(config, name)
    ensure_running("chaostoolkit", target)
    faults_of(target)
    return Session(config, target, Timeline("chaos run"), owned=True)


@contextlib.contextmanager
def activated(session: Session) -> Iterator[Session]:
    """Make ``session`` the one activities use, for the duration of a run."""
    global _current
    previous, _current = _current, session
    try:
        yield session
    finally:
        _current = previous


def close_owned() -> None:
    """Close a session an activity opened (plain ``chaos run``): revert what is left, close the journal."""
    global _current
    session = _current
    if session is not None and session.owned:
        try:
            session.close()
        finally:
            _current = None
