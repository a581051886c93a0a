"""Stop running loads when the harness is told to stop: SIGTERM, SIGINT, or the interpreter exiting.

Python's default SIGTERM kills the harness without unwinding, which would leave locust (in its own session, so the
terminal's signals do not reach it) running to its ``--run-time``. While a load runs, a SIGTERM handler stops every
running load and then raises KeyboardInterrupt in the main thread, so pytest and the CLI unwind as for Ctrl-C (fixtures
tear down, faults are reverted). A handler someone else installed is called instead of raising. SIGINT already raises
KeyboardInterrupt, which ends ``with LoadRun(...)`` blocks; ``atexit`` is the last resort.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
from types import FrameType
from typing import Any, Literal, Protocol

# why a load ended: its own run time, a stop asked for, the harness's time limit or request cap, or a signal
StopReason = Literal["run-time", "stop", "timeout", "max_requests", "interrupted"]


class Stoppable(Protocol):
    """A running load as this module sees it (``runner.LoadRun``): it can be told to stop, once."""

    stopping: bool  # a stop is under way

    def stop(self, reason: StopReason) -> object:
        """Stop the load and wait for it."""
        ...


_lock = threading.RLock()  # the handler runs in the main thread, maybe while it holds the lock
_active: set[Stoppable] = set()
_previous: Any = None
_installed = False


def _stop_all(reason: StopReason) -> None:
    with _lock:
        runs = list(_active)
    for run in runs:
        if run.stopping:
            continue  # the signal arrived while this run was being stopped: that stop completes on its own
        with contextlib.suppress(Exception):  # stopping the others matters more than one failure here
            run.stop(reason)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _stop_all("interrupted")
    previous = _previous
    if callable(previous):
        previous(signum, frame)
        return
    raise KeyboardInterrupt("SIGTERM")


def register(run: Stoppable) -> None:
    """Track a started run; the first one installs the SIGTERM handler (main thread only)."""
    global _previous, _installed
    with _lock:
        _active.add(run)
        if _installed or threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signal.SIGTERM)
        if current is signal.SIG_IGN:
            return
        _previous = current if current is not signal.SIG_DFL else None
        signal.signal(signal.SIGTERM, _on_sigterm)
        _installed = True


def unregister(run: Stoppable) -> None:
    """Forget a finished run; the last one puts the previous SIGTERM handler back."""
    global _installed
    with _lock:
        _active.discard(run)
        if _active or not _installed or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)
        _installed = False


atexit.register(_stop_all, "interrupted")
