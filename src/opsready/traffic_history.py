"""Traffic history: a CSV of ``timestamp`` (ISO 8601, UTC) and ``rps`` rows, validated line by line.

Read by the maintenance window finder and the capacity forecast alike. Extra columns are allowed and ignored; a
timestamp without an offset is taken as UTC. Every mistake is a :class:`ValidationError` at ``path:line``.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from opsready.errors import Loc, UserError, ValidationError
from opsready.textfile import read_text

COLUMNS = ("timestamp", "rps")


@dataclass(frozen=True)
class TrafficPoint:
    """Requests per second observed at one moment (the start of a sampling interval)."""

    at: dt.datetime
    rps: float


@dataclass(frozen=True)
class TrafficHistory:
    """A validated traffic history, oldest first, sampled every ``interval`` seconds."""

    path: Path
    points: tuple[TrafficPoint, ...]
    interval: float

    @property
    def start(self) -> dt.datetime:
        """The first sample."""
        return self.points[0].at

    @property
    def end(self) -> dt.datetime:
        """The end of the last sampling interval."""
        return self.points[-1].at + dt.timedelta(seconds=self.interval)

    @property
    def span(self) -> float:
        """Seconds covered."""
        return (self.end - self.start).total_seconds()


def _timestamp(text: str, loc: Loc) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"bad timestamp {text!r}: expected ISO 8601 like 2026-11-02T14:00:00Z", loc) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _rps(text: str, loc: Loc) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"bad rps {text!r}: expected a number of requests per second", loc) from None
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"bad rps {text!r}: must be zero or more", loc)
    return value


def parse_history(text: str, path: Path) -> TrafficHistory:
    """Validate CSV text; the sampling interval is the most common gap between samples."""
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    name = str(path)
    if header is None or not any(cell.strip() for cell in header):
        raise ValidationError("empty traffic history: expected a header 'timestamp,rps' and rows", Loc(name, 1))
    columns = [cell.strip().lower() for cell in header]
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            f"the header must name the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})", Loc(name, 1)
        )
    t_col, r_col = columns.index("timestamp"), columns.index("rps")
    points: list[TrafficPoint] = []
    for number, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        loc = Loc(name, number)
        if len(row) != len(columns):
            raise ValidationError(f"expected {len(columns)} columns, got {len(row)}", loc)
        point = TrafficPoint(_timestamp(row[t_col], loc), _rps(row[r_col], loc))
        if points and point.at <= points[-1].at:
            raise ValidationError(
                f"timestamps must increase: {row[t_col].strip()} is not after {points[-1].at.isoformat()}", loc
            )
        points.append(point)
    if len(points) < 2:
        raise ValidationError("a traffic history needs at least two samples", Loc(name, 1))
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(points)]
    return TrafficHistory(path, tuple(points), float(statistics.mode(gaps)))


def load_history(path: Path) -> TrafficHistory:
    """Read and validate a traffic history file."""
    if not path.exists():
        raise UserError(f"traffic history not found: {path}", hint="pass --history FILE")
    return parse_history(read_text(path, "traffic history"), path)
