"""Signal discipline while faults are on the target: stop promptly, but never in the middle of a revert.

While faults are applied the shield owns SIGINT and SIGTERM (main thread only; Python delivers signals there):

- *armed*: the first signal starts the revert at once (``on_interrupt`` wakes the guard's reverter thread, which no
  signal can reach) and is passed on as :class:`KeyboardInterrupt` for SIGINT and :class:`Terminated` (a
  KeyboardInterrupt) for SIGTERM, so every layer unwinds. chaostoolkit turns any ``Exception`` raised inside an
  activity into a failed activity and carries on, which is why SIGTERM is not delivered as one; and it sleeps an
  activity's ``pauses.after`` even while an interrupt unwinds, which is why the revert does not wait for that;
- *critical* (a fault being injected and journaled) and *reverting*: signals are recorded, not raised, so the journal
  and the target never disagree and no revert is cut short. A first signal recorded there is passed on as soon as
  the section ends, so the run still stops;
- any further signal while faults remain is only acknowledged on stderr: double Ctrl-C cannot abort a revert.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], Any] | int | None


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered so that every layer (chaostoolkit, pytest, our CLI) unwinds as for Ctrl-C."""


def interruption(signum: int) -> KeyboardInterrupt:
    """The exception a signal is delivered as."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


class Shield:
    """Owns SIGINT and SIGTERM while faults are applied (see the module docstring)."""

    def __init__(self, on_interrupt: Callable[[], None] | None = None) -> None:
        self.on_interrupt = on_interrupt  # called in the handler: must be async-signal-safe (an os.write, say)
        self.received: list[int] = []
        self._previous: dict[int, Handler] = {}
        self._mode = "idle"  # idle | armed | critical | reverting
        self._delivered = False
        self._pending: int | None = None

    @property
    def interrupted_by(self) -> int | None:
        """The first signal received, if any."""
        return self.received[0] if self.received else None

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError):  # os.write is safe inside a signal handler; print is not
            os.write(2, f"opsready: {text}\n".encode())

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        name = signal.Signals(signum).name
        if self._mode in ("critical", "reverting"):
            if self._pending is None and not self._delivered and self._previous.get(signum) != signal.SIG_IGN:
                self._pending = signum
            doing = "reverting faults" if self._mode == "reverting" else "recording a fault"
            self._say(f"{name} received while {doing}: finishing that first, then stopping")
            return
        if self._delivered:
            self._say(f"{name} received again: faults are being reverted, please wait")
            return
        if self._previous.get(signum) == signal.SIG_IGN:
            return  # whoever started us chose to ignore it (nohup, a background job): so do we
        self._deliver(signum)

    def _deliver(self, signum: int) -> None:
        self._delivered = True
        if self.on_interrupt is not None:
            self.on_interrupt()
        raise interruption(signum)

    def _install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; the watchdog still guards the fault
        for sig in SIGNALS:
            current = signal.getsignal(sig)
            if current != self._handle:
                # keep what was there first: chaostoolkit swaps its own SIGTERM handler in and out around a run
                self._previous.setdefault(sig, current)
                signal.signal(sig, self._handle)

    def arm(self) -> None:
        """Take over SIGINT and SIGTERM (faults are on the target)."""
        self._install()
        if self._mode == "idle":
            self._mode = "armed"

    def disarm(self) -> None:
        """Give SIGINT and SIGTERM back (no fault is left); a signal that arrived meanwhile is passed on now."""
        self.release()
        self.flush()

    def release(self) -> None:
        """Give SIGINT and SIGTERM back without passing on a held signal (the caller reads :attr:`received`)."""
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers: it gives them back when it settles
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._handle:
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
        self._mode = "idle"

    @contextlib.contextmanager
    def _section(self, mode: str) -> Iterator[None]:
        self._install()
        outer = self._mode
        self._mode = mode
        try:
            yield
        finally:
            self._mode = outer if outer in ("critical", "reverting") else "armed"

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Defer signals while a fault is injected and journaled; pass a first one on afterwards."""
        with self._section("critical"):
            yield
        self.flush()

    @contextlib.contextmanager
    def reverting(self) -> Iterator[None]:
        """Hold signals off while faults are reverted (the caller then calls :meth:`flush` or :meth:`disarm`)."""
        with self._section("reverting"):
            yield

    def flush(self) -> None:
        """Pass on a first signal that was held back, now that no section is running."""
        if self._pending is not None and self._mode in ("armed", "idle") and not self._delivered:
            signum, self._pending = self._pending, None
            self._deliver(signum)
