"""The signal shield, with real signals sent to this process (pytest runs tests in the main thread)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from opsready.chaos.shield import Shield, Terminated


def _signal(sig: int) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs at the next bytecode boundary of the main thread


@pytest.fixture
def shield() -> Iterator[Shield]:
    """A shield that is always given back, whatever a test does. SIGINT starts with Python's own handler, as in a
    terminal: a background job (``make test`` runs some tests that way) or nohup starts with it ignored, which
    test_an_ignored_signal_stays_ignored covers."""
    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        woken: list[str] = []
        s = Shield(on_interrupt=lambda: woken.append("woken"))
        s.woken = woken  # type: ignore[attr-defined]
        yield s
        s.release()
        for sig, handler in before.items():
            assert signal.getsignal(sig) == handler, "the shield did not give the handler back"
    finally:
        signal.signal(signal.SIGINT, original)


def test_armed_passes_the_first_signal_on_and_wakes_the_reverter(shield: Shield) -> None:
    """SIGINT becomes KeyboardInterrupt, SIGTERM becomes Terminated (also a KeyboardInterrupt); the revert starts."""
    shield.arm()
    with pytest.raises(KeyboardInterrupt) as caught:
        _signal(signal.SIGINT)
    assert type(caught.value) is KeyboardInterrupt
    assert shield.woken == ["woken"]  # type: ignore[attr-defined]
    _signal(signal.SIGINT)  # a second one is only acknowledged
    assert shield.received == [signal.SIGINT, signal.SIGINT]


def test_sigterm_is_delivered_as_terminated(shield: Shield) -> None:
    """Not as an Exception: chaostoolkit would turn that into a failed activity and carry on."""
    shield.arm()
    with pytest.raises(Terminated):
        _signal(signal.SIGTERM)


def test_critical_section_defers_and_then_delivers(shield: Shield) -> None:
    """A signal during a critical section does not cut it; it is delivered as soon as the section ends."""
    shield.arm()
    finished: list[bool] = []

    def section() -> None:
        with shield.critical():
            _signal(signal.SIGINT)
            finished.append(True)

    with pytest.raises(KeyboardInterrupt):
        section()
    assert finished == [True]


def test_reverting_holds_every_signal_off(shield: Shield) -> None:
    """Double Ctrl-C and SIGTERM while reverting: the revert finishes; the first signal is passed on afterwards."""
    shield.arm()
    reverted = False
    with shield.reverting():
        _signal(signal.SIGINT)
        _signal(signal.SIGINT)
        _signal(signal.SIGTERM)
        reverted = True
    assert reverted
    with pytest.raises(KeyboardInterrupt):
        shield.disarm()
    assert shield.interrupted_by == signal.SIGINT


def test_release_gives_handlers_back_without_delivering(shield: Shield) -> None:
    """The runner reads the signal from the shield instead of having it raised."""
    shield.arm()
    with shield.reverting():
        _signal(signal.SIGTERM)
    shield.release()
    assert shield.interrupted_by == signal.SIGTERM


def test_an_ignored_signal_stays_ignored(shield: Shield) -> None:
    """Started with SIGINT ignored (nohup, a background job): the shield records it but does not interrupt."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        shield.arm()
        _signal(signal.SIGINT)
        assert shield.received == [signal.SIGINT]
        shield.release()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
