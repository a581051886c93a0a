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

from opsready.chaos.baseline import BaselineFailed, Change, Detection, check_baseline
from opsready.chaos.guard import FaultGuard
from opsready.chaos.journal import FaultJournal
from opsready.chaos.shield import Shield
from opsready.config import Config
from opsready.errors import UsageError
from opsready.observation import Observation
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
    detections: tuple[Detection, ...] = ()  # the experiment's detect probes, each with its fault
    baselines: dict[int, Observation] = field(default_factory=dict)  # detection index -> its baseline, in order
    undetected: list[str] = field(default_factory=list)  # detect probes that did not see their fault
    halted: str = ""  # why the run must stop now (a baseline refused an injection): the control interrupts it
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

    def take_baselines(self, fault: str) -> None:
        """Observe each detection probe of ``fault`` once, just before it is injected; a :class:`BaselineFailed`
        when one already shows the fault or cannot measure (then nothing is injected, and the run stops)."""
        for index, detection in enumerate(self.detections):
            if detection.fault != fault:
                continue
            observation = detection.probe.run(self.target)
            problem = check_baseline(detection, observation)
            if problem:
                self.halted = (
                    f"refused to inject '{fault}': {problem}; detecting it after the fault would prove nothing, so "
                    "nothing was injected"
                )
                self.say(self.halted)
                raise BaselineFailed(self.halted)
            self.baselines.pop(index, None)
            self.baselines[index] = observation  # the latest last: a detect matches the newest baseline
            self.say(f"baseline of {detection.describe()}: {observation.describe()}")

    def detection_of(self, probe: ProbeCall, change: Change | None) -> tuple[Detection | None, Observation | None]:
        """The experiment's detection a ``detect`` call at run time is, with the newest baseline taken for it."""
        for index in reversed(self.baselines):
            if self.detections[index].same(probe, change):
                return self.detections[index], self.baselines[index]
        found = next((d for d in self.detections if d.same(probe, change)), None)
        return found, None

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
