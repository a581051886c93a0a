"""The one table of exit codes: every ``opsready`` command exits with one of these, and each code means one thing.

=====  ==============  ==========================================================================================
code   name            meaning
=====  ==============  ==========================================================================================
0      OK              done: ready, healthy, passed, nothing left to do
1      NOT_READY       it ran and the verdict is negative: not ready, a check or drill failed, a problem found,
                       the target misbehaved while opsready drove it
2      BAD_INPUT       bad input or an unready machine (configuration, input file, argument, missing tool, a
                       refused safety rule); reported as ``path:line: message``; nothing was changed on the target
3      INCONCLUSIVE    it could not decide: an observation needed for the verdict could not be made
4      REFUSED         the target's state refuses the request (the candidate already serves, is unknown on the
                       target or on some of its hosts, there is no previous release); nothing was changed
5      MANUAL          a person must act: a fault could not be reverted from its journal, a journal is corrupt
6      INCOMPLETE      done, except an optional part that could not be made here (the PDF without Chromium)
128+N  SIGNAL          stopped by signal N (130: SIGINT, Ctrl-C; 143: SIGTERM), after reverting every fault
=====  ==============  ==========================================================================================

``docs/exit-codes.md`` and the README show the same table; ``tests/unit/test_exitcodes.py`` keeps them equal.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Final

OK: Final = 0
NOT_READY: Final = 1
BAD_INPUT: Final = 2
INCONCLUSIVE: Final = 3
REFUSED: Final = 4
MANUAL: Final = 5
INCOMPLETE: Final = 6
SIGNAL_BASE: Final = 128


@dataclass(frozen=True)
class ExitCode:
    """One row of the table."""

    code: int
    name: str
    meaning: str


TABLE: Final = (
    ExitCode(OK, "OK", "done: ready, healthy, passed, nothing left to do"),
    ExitCode(
        NOT_READY,
        "NOT_READY",
        "it ran and the verdict is negative: not ready, a check or drill failed, a problem was found, "
        "the target misbehaved",
    ),
    ExitCode(
        BAD_INPUT,
        "BAD_INPUT",
        "bad input or an unready machine (configuration, input file, argument, missing tool, a safety rule); "
        "nothing was changed on the target",
    ),
    ExitCode(INCONCLUSIVE, "INCONCLUSIVE", "it could not decide: an observation the verdict needs could not be made"),
    ExitCode(
        REFUSED,
        "REFUSED",
        "the target's state refuses the request (the candidate already serves, is unknown on the target or on "
        "some of its hosts, no previous release); nothing was changed",
    ),
    ExitCode(MANUAL, "MANUAL", "a person must act: a fault could not be reverted from its journal, a corrupt journal"),
    ExitCode(
        INCOMPLETE, "INCOMPLETE", "done, except an optional part that could not be made here (PDF without Chromium)"
    ),
    ExitCode(SIGNAL_BASE, "SIGNAL", "128+N: stopped by signal N (130 SIGINT, 143 SIGTERM), every fault reverted"),
)


def by_signal(signum: int) -> int:
    """The exit code of a run stopped by signal ``signum`` (130 for SIGINT)."""
    return SIGNAL_BASE + signum


INTERRUPTED: Final = SIGNAL_BASE + int(signal.SIGINT)


def markdown_table() -> str:
    """The table as Markdown, as docs/exit-codes.md and the README show it."""
    rows = ["| code | name | meaning |", "| --- | --- | --- |"]
    for row in TABLE:
        code = "128+N" if row.code == SIGNAL_BASE else str(row.code)
        rows.append(f"| {code} | `{row.name}` | {row.meaning} |")
    return "\n".join(rows)
