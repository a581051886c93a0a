"""The faults one drill injects: through a chaos session's guard, so each is journaled before it is applied, watched
by its dead-man watchdog and reverted on every outcome.

Game days, incident drills and troubleshooting drills inject through :class:`DrillFaults`, so they need no chaos
import of their own and every drill reverts the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opsready.chaos.guard import FaultRecord
from opsready.chaos.session import Session, stderr_say
from opsready.config import Config
from opsready.errors import OpsreadyError
from opsready.targets.faults import FaultKind, FaultSpec
from opsready.targets.protocol import Target
from opsready.timeline import Timeline


class DrillFaults:
    """The chaos session of one drill (its journal is created with the first fault)."""

    def __init__(
        self,
        config: Config,
        target: Target,
        timeline: Timeline,
        experiment: str,
        say: Callable[[str], None] = stderr_say,
    ) -> None:
        self.config = config
        self._session = Session(config, target, timeline, experiment=experiment, say=say)

    def kinds(self) -> tuple[FaultKind, ...]:
        """The fault kinds the target offers."""
        return self._session.faults.fault_kinds()

    def inject(self, name: str, spec: FaultSpec) -> str:
        """Inject one fault through the guard; returns its id."""
        return self._session.guard.inject(name, spec)

    def revert(self, name: str) -> None:
        """Revert one injected fault by name, now (harmless when it is not applied)."""
        if self._session.started:
            self._session.guard.revert(name)

    @property
    def started(self) -> bool:
        """Whether a fault was injected (and so a journal exists)."""
        return self._session.started

    @property
    def journal(self) -> Path | None:
        """The journal of this drill's faults, once one was injected."""
        return self._session.guard.journal.path if self._session.started else None

    @property
    def records(self) -> tuple[FaultRecord, ...]:
        """Every fault injected, as the guard saw it."""
        return self._session.guard.records if self._session.started else ()

    def unreverted(self) -> tuple[str, ...]:
        """The names of faults that were not reverted, or whose revert failed."""
        return tuple(r.name for r in self.records if not r.reverted_by or r.error)

    def close(self) -> None:
        """Revert whatever is still applied and close the journal (idempotent)."""
        self._session.close()

    def close_quietly(self) -> tuple[str, ...]:
        """Close; a failed revert becomes a problem of the drill, not an exception (the fault's dead-man watchdog
        retries it, and ``opsready recover`` can)."""
        try:
            self.close()
        except OpsreadyError as exc:
            return (f"revert failed: {exc}",)
        return ()
