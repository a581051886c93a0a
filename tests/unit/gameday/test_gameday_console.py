"""The game-day board: keys from a person, observations for the scribe, and the figures of recent load."""

from __future__ import annotations

import threading
import time

from opsready.gameday.console import Board, KeyboardResponder, recent_load
from opsready.traffic import Sample, TrafficReport


def test_an_observation_is_typed_edited_and_recorded() -> None:
    """'o' starts a line, Backspace edits it, Enter hands it to the scribe's callback; keys typed meanwhile are text."""
    board = Board("t", 1)
    seen: list[str] = []
    board.on_observation = seen.append
    for key in "oab\x7fcd a\r":
        board.press(key)
    assert seen == ["acd a"]
    assert board.typing is None
    board.press("o")
    for key in "xyz\x1b":
        board.press(key)
    assert seen == ["acd a"] and board.typing is None


def test_the_responder_waits_for_its_key_and_gives_up_at_the_deadline() -> None:
    """acknowledge() returns True once 'a' is pressed, and False when nobody pressed it in time."""
    board = Board("t", 1)
    responder = KeyboardResponder(board, "Casey")
    assert responder.source == "person" and responder.name == "Casey"
    assert responder.acknowledge("page", time.monotonic() + 0.3) is False
    threading.Timer(0.2, board.press, args=("a",)).start()
    assert responder.acknowledge("page", time.monotonic() + 5.0) is True
    board.begin(2, "next", 60.0)  # a new scenario forgets the keys pressed for the previous one
    assert responder.acknowledge("page", time.monotonic() + 0.2) is False


def test_recent_load_counts_the_last_seconds_only() -> None:
    """Error rate and p95 come from the window before now."""
    now = 100.0
    samples = [Sample(50.0, "/orders", None, 5.0, "ConnectError")]
    samples += [Sample(95.0 + i / 10, "/orders", 201, 0.010 * (i + 1)) for i in range(20)]
    samples += [Sample(99.0, "/orders", 503, 0.5)]
    figures = recent_load(TrafficReport(tuple(samples)), now)
    assert (figures.requests, figures.failed) == (21, 1)
    assert figures.error_rate == 1 / 21
    assert figures.p95 == 0.2
    assert recent_load(TrafficReport(()), now).error_rate == 0.0
