"""The game day at the terminal: a live board (rich ``Live``) and the keyboard of the people running it.

Keys: ``a`` acknowledges the page, ``m`` declares the mitigation (the runbook's automated one then runs), ``o``
starts an observation line for the scribe (Enter records it on the timeline, Escape drops it). The terminal is put
in cbreak mode, which keeps Ctrl-C a SIGINT: stopping the game day stays the chaos guard's business. While the board
asks a question (:meth:`Board.ask`: who plays a role, whether a runbook step was done) keys answer it instead.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import sys
import termios
import threading
import time
import tty
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from opsready.durations import format_duration
from opsready.traffic import TrafficReport

ENTER, ESCAPE, BACKSPACES = ("\r", "\n"), "\x1b", ("\x7f", "\b")


@dataclass(frozen=True)
class LoadFigures:
    """What users saw over the last seconds of background load."""

    requests: int
    failed: int
    p95: float | None

    @property
    def error_rate(self) -> float:
        """Failed over sent (0 when nothing was sent)."""
        return self.failed / self.requests if self.requests else 0.0


def recent_load(report: TrafficReport, now: float, window: float = 10.0) -> LoadFigures:
    """Requests, failures and p95 latency of the samples sent in the last ``window`` seconds before ``now``."""
    recent = report.between(now - window, now)
    latencies = sorted(s.latency for s in recent.samples if not s.failed)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else None
    return LoadFigures(recent.total, recent.failed, p95)


class Board:
    """What the live view shows; written by the runner and the keyboard thread, read by the view (thread-safe)."""

    def __init__(self, title: str, total: int, load: Callable[[], LoadFigures] | None = None) -> None:
        self.title = title
        self.total = total
        self.load = load
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self.scenario = "preparing"
        self.index = 0
        self.scenario_started = self.started
        self.time_box = 0.0
        self.stage = "checking the plan"
        self.steady = "not observed yet"
        self.waiting = ""  # what the runner waits for from a person, as shown: "press 'a' to acknowledge"
        self.typing: str | None = None
        self.log: deque[str] = deque(maxlen=8)
        self._keys: dict[str, threading.Event] = {"a": threading.Event(), "m": threading.Event()}
        self.on_observation: Callable[[str], object] | None = None
        self.asking: str | None = None  # a question people answer from the keyboard (roles, runbook steps)
        self._choices = ""  # the keys that answer it; empty: a line of text ended with Enter
        self._answers: queue.Queue[str] = queue.Queue()

    def begin(self, index: int, name: str, time_box: float) -> None:
        """A new scenario starts: clear the keys a person pressed for the previous one."""
        with self._lock:
            self.index, self.scenario, self.time_box = index, name, time_box
            self.scenario_started = time.monotonic()
            for event in self._keys.values():
                event.clear()

    def update(self, stage: str | None = None, steady: str | None = None) -> None:
        """Set the current stage and/or the steady-state status."""
        with self._lock:
            self.stage = stage if stage is not None else self.stage
            self.steady = steady if steady is not None else self.steady

    def note(self, line: str) -> None:
        """A line in the board's log."""
        with self._lock:
            self.log.append(f"{format_duration(time.monotonic() - self.started)}  {line}")

    def press(self, key: str) -> None:
        """A key from the person at the keyboard."""
        if self.asking is not None:
            self._answer(key)
        elif self.typing is not None:
            self._type(key)
        elif key == "o":
            with self._lock:
                self.typing = ""
        elif key in self._keys:
            self._keys[key].set()

    def _type(self, key: str) -> None:
        if key in ENTER:
            with self._lock:
                text, self.typing = (self.typing or "").strip(), None
            if text:
                if self.on_observation is not None:
                    self.on_observation(text)
                self.note(f"observation: {text}")
        elif key == ESCAPE:
            with self._lock:
                self.typing = "" if self.asking is not None else None
        elif key in BACKSPACES:
            with self._lock:
                self.typing = (self.typing or "")[:-1]
        elif key.isprintable():
            with self._lock:
                self.typing = (self.typing or "") + key

    def _answer(self, key: str) -> None:
        if self._choices:
            if key in self._choices:
                self._answers.put(key)
        elif key in ENTER:
            with self._lock:
                text, self.typing = (self.typing or "").strip(), ""
            self._answers.put(text)
        else:
            self._type(key)

    def ask(self, question: str, choices: str = "") -> str:
        """Show ``question`` and block until it is answered: one of the keys in ``choices``, or (no choices) a line
        of text ended with Enter (Escape clears it). Ctrl-C still interrupts the wait."""
        with self._lock:
            self.asking, self._choices, self.typing = question, choices, None if choices else ""
            while not self._answers.empty():
                self._answers.get_nowait()
        try:
            while True:
                with contextlib.suppress(queue.Empty):
                    return self._answers.get(timeout=0.2)
        finally:
            with self._lock:
                self.asking, self._choices, self.typing = None, "", None

    def wait_for(self, key: str, what: str, deadline: float) -> bool:
        """Block until ``key`` was pressed (True) or ``deadline`` (monotonic) passed (False)."""
        with self._lock:
            self.waiting = f"press '{key}' to {what}"
        try:
            event = self._keys[key]
            while time.monotonic() < deadline:
                if event.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
                    return True
            return False
        finally:
            with self._lock:
                self.waiting = ""

    def render(self) -> RenderableType:
        """The board as rich renderables."""
        with self._lock:
            now = time.monotonic()
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column()
            grid.add_row("scenario", f"{self.index}/{self.total}  {self.scenario}")
            elapsed = format_duration(now - self.scenario_started)
            box = f" of {format_duration(self.time_box)}" if self.time_box else ""
            grid.add_row("elapsed", f"{elapsed}{box} (game day {format_duration(now - self.started)})")
            grid.add_row("stage", self.stage)
            grid.add_row("steady state", self.steady)
            if self.load is not None:
                figures = self.load()
                p95 = f"{figures.p95 * 1000:.0f} ms" if figures.p95 is not None else "n/a"
                grid.add_row("error rate", f"{figures.error_rate * 100:.1f} % of {figures.requests} requests (10 s)")
                grid.add_row("latency p95", p95)
            if self.waiting:
                grid.add_row("WAITING", Text(self.waiting, style="bold yellow"))
            if self.asking is not None:
                typed = f"  > {self.typing}_" if self.typing is not None else ""
                grid.add_row("CONFIRM", Text(f"{self.asking}{typed}", style="bold yellow"))
            elif self.typing is not None:
                grid.add_row("observation", Text(f"{self.typing}_  (Enter records, Esc drops)", style="cyan"))
            help_line = Text("a acknowledge · m mitigation · o observation · Ctrl-C stop and revert", style="dim")
            log = Text("\n".join(self.log), style="dim")
        return Panel(Group(grid, log, help_line), title=self.title)


@contextlib.contextmanager
def keyboard(board: Board) -> Iterator[None]:
    """Read keys from the terminal in cbreak mode (Ctrl-C still raises SIGINT) into ``board`` until the block ends."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                data = os.read(fd, 32)
                if not data:
                    return
                for key in data.decode(errors="replace"):
                    board.press(key)

    tty.setcbreak(fd)
    reader = threading.Thread(target=read, name="gameday-keyboard", daemon=True)
    reader.start()
    try:
        yield
    finally:
        stop.set()
        reader.join(1.0)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class KeyboardResponder:
    """A person at the keyboard: the incident package's responder protocol, answered with ``a`` and ``m``."""

    def __init__(self, board: Board, name: str) -> None:
        self.board = board
        self._name = name

    @property
    def name(self) -> str:
        """The responder on duty, as the plan names them."""
        return self._name

    @property
    def source(self) -> str:
        """Always 'person'."""
        return "person"

    def acknowledge(self, page: str, deadline: float) -> bool:
        """Show the page and wait for 'a'."""
        self.board.note(f"PAGE: {page}")
        return self.board.wait_for("a", "acknowledge", deadline)

    def approve_mitigation(self, plan: str, deadline: float) -> bool:
        """Show the mitigation and wait for 'm'."""
        self.board.note(f"mitigation ready: {plan}")
        return self.board.wait_for("m", "declare the mitigation", deadline)
