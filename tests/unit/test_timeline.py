"""Timelines derive durations from recorded events; nothing is typed by hand."""

from __future__ import annotations

import time

import pytest

from opsready.timeline import Timeline


def test_durations_are_derived_from_events() -> None:
    """The measured duration is the time between the events, and the verdict follows the target."""
    tl = Timeline("drill")
    tl.mark("deployed")
    time.sleep(0.05)
    tl.mark("detected")
    m = tl.measure("time to detect", "deployed", "detected", target=1.0)
    assert 0.04 <= m.seconds < 0.5
    assert m.ok
    missed = tl.measure("strict", "deployed", "detected", target=0.001)
    assert not missed.ok
    assert "MISSED" in missed.describe()


def test_events_can_be_placed_at_an_observed_time() -> None:
    """An observation made a moment ago is recorded at its own time, not when it was reported."""
    tl = Timeline("drill")
    seen = time.monotonic()
    time.sleep(0.05)
    event = tl.mark("detected", at=seen)
    assert event.at < tl.now() - 0.04


def test_missing_events_are_an_error_not_a_zero() -> None:
    """Measuring from an event that never happened fails loudly."""
    tl = Timeline("drill")
    tl.mark("deployed")
    with pytest.raises(LookupError, match="no 'rolled_back' event"):
        tl.measure("time to roll back", "deployed", "rolled_back")


def test_end_must_follow_start() -> None:
    """An end event recorded before the start does not count."""
    tl = Timeline("drill")
    tl.mark("healthy")
    tl.mark("deployed")
    assert tl.between("deployed", "healthy") is None
    tl.mark("healthy")
    assert tl.between("deployed", "healthy") is not None


def test_record_is_immutable_data() -> None:
    """The record keeps events and measurements for the reports."""
    tl = Timeline("drill")
    tl.mark("a")
    tl.mark("b")
    tl.measure("a to b", "a", "b")
    record = tl.record()
    assert [e.kind for e in record.events] == ["a", "b"]
    assert record.measurements[0].name == "a to b"
    assert record.started_wall.endswith("Z")
