"""After a crash: revert the faults the journals leave applied and expire the silences a maintenance left behind.

``opsready recover`` is one command over two capabilities (chaos's fault journals, maintenance's silence journals);
they meet here, on the composition floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opsready import exitcodes
from opsready.chaos.recover import RecoverReport, recover
from opsready.config import Config
from opsready.monitoring.silence_journal import journal_dir
from opsready.monitoring.silence_recovery import SilenceRecovery, recover_silences
from opsready.targets.faults import faults_of
from opsready.targets.protocol import Target

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Recovery:
    """What recover did about faults and about silences."""

    faults: RecoverReport
    silences: SilenceRecovery

    @property
    def exit_code(self) -> int:
        """OK when nothing is left to do, MANUAL when a person must act (a fault or a silence)."""
        return self.faults.exit_code or (exitcodes.MANUAL if self.silences.manual else exitcodes.OK)

    @property
    def nothing_done(self) -> bool:
        """Nothing reverted, expired, found ended or left for a person."""
        f, s = self.faults, self.silences
        return not (f.reverted or f.manual or f.acknowledged or s.expired or s.ended or s.manual)


def recover_all(
    config: Config, target: Target, *, acknowledge: bool = False, force: bool = False, say: Say = _quiet
) -> Recovery:
    """Revert leftover faults (newest first), then expire leftover maintenance silences."""
    faults = recover(faults_of(target), acknowledge=acknowledge, force=force, say=say)
    silences = recover_silences(journal_dir(config, target), force=force, say=say)
    return Recovery(faults, silences)
