"""The soak's figures: results of trials and cycles, added up per part, checked against the goals, as JSON and Markdown.

Pure: nothing here touches a sandbox, so the aggregation and the goal check are unit-tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Interruption = Literal["SIGINT", "SIGTERM", "SIGINT twice", "SIGKILL + recover", "SIGKILL + dead-man"]
INTERRUPTIONS: tuple[Interruption, ...] = (
    "SIGINT",
    "SIGTERM",
    "SIGINT twice",
    "SIGKILL + recover",
    "SIGKILL + dead-man",
)
LATENCY_GOAL = 2.0  # seconds from the signal (or, for the dead-man, the fault's deadline) to the revert journaled


@dataclass(frozen=True)
class Trial:
    """One interrupted experiment with one fault, as measured."""

    kind: str
    interruption: Interruption
    n: int
    phase: str  # when the signal came (SIGKILL: once the fault was applied)
    seconds: float  # the trial's wall time, health check included
    faults_left: int  # faults the journal shows open, plus one when the sandbox's real state stayed unhealthy
    latency: float | None  # signal (dead-man: deadline) -> verified revert journaled; None: no fault was applied
    processes_left: int  # processes started for the run (harness, watchdog, holders) still alive afterwards
    problems: tuple[str, ...] = ()  # everything found wrong, faults left included
    clock_step: float = 0.0  # how far the wall clock (the journal's time) moved against the monotonic clock


@dataclass(frozen=True)
class Cycles:
    """Deploy/rollback cycles through the target's own deploy and rollback, and the orders before and after."""

    requested: int
    done: int
    orders_before: int  # the api's count before the first cycle
    checksum_before: str  # the api's checksum then
    checksum_before_after: str  # the api's checksum over those same orders (ids up to the last one) after the cycles
    orders_expected: int  # every order acknowledged, before and between the cycles (the ledger)
    checksum_expected: str  # the checksum the ledger's orders make (the api's digest over id, item, quantity)
    orders_after: int  # the api's count after the last cycle
    checksum_after: str  # the api's checksum then
    orders_kept: int  # orders of the ledger that read back unchanged after the last cycle
    worst_switch: float  # the slowest single deploy or rollback, seconds
    processes_before: int  # live processes of the sandbox's session before the first cycle
    processes_after: int
    problems: tuple[str, ...] = ()

    @property
    def orders_lost(self) -> int:
        """Orders acknowledged that are gone or changed."""
        return self.orders_expected - self.orders_kept


@dataclass(frozen=True)
class Part:
    """One part of the soak as it ran: what was asked, what was done within its wall-time bound."""

    name: str
    requested: int
    done: int
    bound: float  # seconds
    elapsed: float
    stopped: str = ""  # why it stopped before doing everything asked ("" when it did)


@dataclass(frozen=True)
class Row:
    """One line of the results table; None where a figure does not apply."""

    label: str
    trials: int
    faults_left: int | None
    orders_lost: int | None
    worst_latency: float | None
    processes_left: int
    problems: int
    slowest: str = ""  # the fault kind of the worst revert latency
    clock_steps: int = 0  # trials whose latency was not counted: the wall clock stepped during them

    def missed(self) -> list[str]:
        """Goals this row misses."""
        out = []
        if self.faults_left:
            out.append(f"{self.label}: {self.faults_left} fault(s) left (goal 0)")
        if self.orders_lost:
            out.append(f"{self.label}: {self.orders_lost} order(s) lost (goal 0)")
        if self.worst_latency is not None and self.worst_latency >= LATENCY_GOAL:
            out.append(f"{self.label}: worst revert latency {self.worst_latency:.2f} s (goal < {LATENCY_GOAL:g} s)")
        if self.processes_left:
            out.append(f"{self.label}: {self.processes_left} process(es) left (goal 0)")
        if self.problems:
            out.append(f"{self.label}: {self.problems} trial(s) with a problem (goal 0)")
        return out


def _worst(values: Iterable[float | None]) -> float | None:
    measured = [v for v in values if v is not None]
    return max(measured) if measured else None


def matrix_rows(trials: Sequence[Trial]) -> list[Row]:
    """One row per interruption that ran, then the whole matrix."""
    rows = []
    for interruption in INTERRUPTIONS:
        mine = [t for t in trials if t.interruption == interruption]
        if mine:
            rows.append(_row(interruption, mine))
    if trials:
        rows.append(_row("interruption matrix", trials))
    return rows


def _row(label: str, trials: Sequence[Trial]) -> Row:
    measured = [t for t in trials if t.latency is not None]
    slowest = max(measured, key=lambda t: t.latency or 0.0) if measured else None
    return Row(
        label,
        len(trials),
        sum(t.faults_left for t in trials),
        None,
        _worst(t.latency for t in trials),
        sum(t.processes_left for t in trials),
        sum(1 for t in trials if t.problems),
        slowest.kind if slowest is not None else "",
        sum(1 for t in trials if t.clock_step),
    )


def cycles_row(cycles: Cycles) -> Row:
    """The deploy/rollback cycles' row."""
    left = max(0, cycles.processes_after - cycles.processes_before)
    return Row("deploy/rollback cycles", cycles.done, None, cycles.orders_lost, None, left, len(cycles.problems))


def goals_missed(rows: Sequence[Row], parts: Sequence[Part]) -> list[str]:
    """Every goal missed, in words (empty: the soak passed). A part stopped short of what was asked misses too."""
    out = [m for row in rows for m in row.missed()]
    for part in parts:
        if part.done < part.requested:
            why = f": {part.stopped}" if part.stopped else ""
            out.append(f"{part.name}: {part.done} of {part.requested} done{why}")
    return out


def _cell(value: int | float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.2f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"


def markdown(rows: Sequence[Row], parts: Sequence[Part], cycles: Cycles | None = None) -> str:
    """The results table for benchmarks/RESULTS.md, the parts' wall times, and what was missed."""
    lines = [
        "| part | trials | faults left (goal 0) | orders lost (goal 0) | worst revert latency (goal < 2 s) "
        "| processes left (goal 0) | trials with a problem |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        strong = row.label in ("interruption matrix", "deploy/rollback cycles")
        label = f"**{row.label}**" if strong else row.label
        cells = (
            label,
            _cell(row.trials),
            _cell(row.faults_left),
            _cell(row.orders_lost),
            _cell(row.worst_latency, " s") + (f" ({row.slowest})" if row.slowest else ""),
            _cell(row.processes_left),
            _cell(row.problems),
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    steps = max((row.clock_steps for row in rows), default=0)
    if steps:
        lines.append(f"- revert latency not counted in {steps} trial(s): the wall clock stepped during them")
    for part in parts:
        stopped = f", stopped: {part.stopped}" if part.stopped else ""
        lines.append(
            f"- {part.name}: {part.done:,} of {part.requested:,} in {part.elapsed:.0f} s "
            f"(bound {part.bound:.0f} s{stopped})"
        )
    if cycles is not None:
        lines.append(
            f"- orders before the cycles: {cycles.orders_before:,}, checksum `{cycles.checksum_before[:12]}`, the "
            f"same orders after: `{cycles.checksum_before_after[:12]}`; all orders after: {cycles.orders_after:,}, "
            f"checksum `{cycles.checksum_after[:12]}`, ledger {cycles.orders_expected:,}, "
            f"`{cycles.checksum_expected[:12]}`; slowest switch {cycles.worst_switch:.2f} s"
        )
        lines += [f"- {p}" for p in cycles.problems]
    missed = goals_missed(rows, parts)
    lines.append("")
    lines.append("Every goal met." if not missed else "Goals missed:\n" + "\n".join(f"- {m}" for m in missed))
    return "\n".join(lines) + "\n"


def as_json(
    rows: Sequence[Row], parts: Sequence[Part], trials: Sequence[Trial], cycles: Cycles | None
) -> dict[str, Any]:
    """Everything measured, for the JSON result file."""
    return {
        "schema": "opsready.soak/1",
        "goals_missed": goals_missed(rows, parts),
        "rows": [asdict(r) for r in rows],
        "parts": [asdict(p) for p in parts],
        "cycles": None if cycles is None else dict(asdict(cycles), orders_lost=cycles.orders_lost),
        "trials": [asdict(t) for t in trials],
    }
