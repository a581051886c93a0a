"""The ``maintenance:`` section of opsready.yaml: when maintenance may run, change freezes, and its thresholds.

Times are UTC. An allowed window recurs weekly (``days``, ``from``, ``to``; ``to`` before ``from`` crosses midnight).
A freeze covers whole days from ``from`` to ``to`` inclusive (or exact instants when written with a time). With no
allowed windows, maintenance may run at any time outside the freezes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86400.0
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class AllowedWindow:
    """A weekly recurring window: on ``days`` (0 = Monday), from ``start`` to ``end`` minutes after midnight UTC."""

    days: tuple[int, ...]
    start: int
    end: int
    loc: Loc = field(default=Loc("<default>"), compare=False)

    @property
    def minutes(self) -> int:
        """Length of one occurrence in minutes."""
        return (self.end - self.start) % 1440 or 1440

    def occurrences(self, around: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Occurrences that start from the day before ``around`` to the day after (UTC)."""
        midnight = around.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        found = []
        for offset in (-1, 0, 1):
            day = midnight + dt.timedelta(days=offset)
            if day.weekday() in self.days:
                start = day + dt.timedelta(minutes=self.start)
                found.append((start, start + dt.timedelta(minutes=self.minutes)))
        return found

    def describe(self) -> str:
        """'mon-sun 00:00-06:00 UTC'."""
        days = ",".join(WEEKDAYS[d] for d in self.days) if len(self.days) < 7 else "daily"
        return f"{days} {self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d} UTC"


@dataclass(frozen=True)
class Freeze:
    """A change freeze: no planned maintenance in [start, end)."""

    name: str
    start: dt.datetime
    end: dt.datetime
    loc: Loc = field(default=Loc("<default>"), compare=False)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether [start, end) touches the freeze."""
        return start < self.end and self.start < end


@dataclass(frozen=True)
class MaintenancePolicy:
    """When maintenance may run, what it is held to, and where its artefacts go."""

    max_duration: float = 7200.0  # the story's KPI: planned maintenance under 2 hours
    traffic_history: Path = Path("loadtests/traffic-history.csv")
    allowed_windows: tuple[AllowedWindow, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    certificate_warn_days: int = 30
    disk_threshold: float = 0.9
    log_keep: int = 5
    records_dir: Path = Path("reports/maintenance")
    comms_dir: Path = Path("reports/comms")
    templates_dir: Path = Path("runbooks/templates")

    def freeze_at(self, start: dt.datetime, end: dt.datetime) -> Freeze | None:
        """The first freeze that [start, end) overlaps, if any."""
        return next((f for f in self.freezes if f.overlaps(start, end)), None)

    def window_for(self, start: dt.datetime, end: dt.datetime) -> AllowedWindow | None:
        """The allowed window one of whose occurrences holds all of [start, end) (None when none does)."""
        for window in self.allowed_windows:
            for begin, finish in window.occurrences(start):
                if begin <= start and end <= finish:
                    return window
        return None

    def refusal(self, start: dt.datetime, length: float) -> str | None:
        """Why maintenance of ``length`` seconds may not start at ``start``, or None when it may."""
        end = start + dt.timedelta(seconds=length)
        freeze = self.freeze_at(start, end)
        if freeze is not None:
            return f"it would overlap the change freeze '{freeze.name}' ({_iso(freeze.start)} to {_iso(freeze.end)})"
        if self.allowed_windows and self.window_for(start, end) is None:
            allowed = "; ".join(w.describe() for w in self.allowed_windows)
            return f"{_iso(start)} to {_iso(end)} is not inside an allowed maintenance window ({allowed})"
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _clock(value: object, loc: Loc) -> int:
    text = str(value) if isinstance(value, str) else ""
    match = _CLOCK.match(text)
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValidationError(f'expected a time of day like "02:00" (quoted), got {value!r}', loc)
    return int(match.group(1)) * 60 + int(match.group(2))


def _window(raw: object, loc: Loc) -> AllowedWindow:
    r = MapReader(raw, loc, "allowed window")
    days: list[int] = []
    for day in r.str_list("days", WEEKDAYS):
        if day not in WEEKDAYS:
            raise ValidationError(f"unknown day '{day}'{did_you_mean(day, WEEKDAYS)}; use mon..sun", r.loc_of("days"))
        days.append(WEEKDAYS.index(day))
    start, end = _clock(r.raw("from"), r.loc_of("from")), _clock(r.raw("to"), r.loc_of("to"))
    r.done()
    if start in (end, 1440):
        raise ValidationError("an allowed window needs 'to' different from 'from' (00:00 to 24:00 is all day)", r.loc)
    return AllowedWindow(tuple(sorted(set(days))), start, end, r.loc)


def _instant(value: object, loc: Loc, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        midnight = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        return midnight + dt.timedelta(days=1) if end else midnight  # a 'to' date includes that whole day
    if isinstance(value, str):
        try:
            return _instant(dt.datetime.fromisoformat(value.replace("Z", "+00:00")), loc, end)
        except ValueError:
            pass
    raise ValidationError(f"expected a date like 2026-12-20 or an instant like 2026-12-20T18:00Z, got {value!r}", loc)


def _freeze(raw: object, loc: Loc) -> Freeze:
    r = MapReader(raw, loc, "freeze")
    name = r.string("name")
    start = _instant(r.raw("from"), r.loc_of("from"), end=False)
    end = _instant(r.raw("to"), r.loc_of("to"), end=True)
    r.done()
    if end <= start:
        raise ValidationError(f"freeze '{name}' ends before it starts", r.loc_of("to"))
    return Freeze(name, start, end, r.loc)


def check_freezes(freezes: tuple[Freeze, ...]) -> None:
    """Freezes must not overlap: two overlapping freezes are a typo or should be one freeze."""
    ordered = sorted(freezes, key=lambda f: f.start)
    for earlier, later in itertools.pairwise(ordered):
        if later.start < earlier.end:
            first, second = sorted((earlier, later), key=lambda f: f.loc.line)
            raise ValidationError(
                f"freeze '{second.name}' overlaps freeze '{first.name}' (line {first.loc.line}); "
                "merge them into one freeze or correct the dates",
                second.loc,
            )


def parse_policy(r: MapReader | None) -> MaintenancePolicy:
    """Build the policy from the ``maintenance:`` section (defaults when it is absent)."""
    if r is None:
        return MaintenancePolicy()
    d = MaintenancePolicy()
    policy = MaintenancePolicy(
        max_duration=r.duration("max_duration", d.max_duration),
        traffic_history=Path(r.string("traffic_history", str(d.traffic_history))),
        allowed_windows=tuple(_window(raw, loc) for raw, loc in r.items("allowed_windows", ())),
        freezes=tuple(_freeze(raw, loc) for raw, loc in r.items("freezes", ())),
        certificate_warn_days=r.integer("certificate_warn_days", d.certificate_warn_days, minimum=1),
        disk_threshold=r.percent("disk_threshold", d.disk_threshold),
        log_keep=r.integer("log_keep", d.log_keep, minimum=1),
        records_dir=Path(r.string("records_dir", str(d.records_dir))),
        comms_dir=Path(r.string("comms_dir", str(d.comms_dir))),
        templates_dir=Path(r.string("templates_dir", str(d.templates_dir))),
    )
    r.done()
    if policy.max_duration <= 0:
        raise ValidationError("'max_duration' must be greater than zero", r.loc_of("max_duration"))
    check_freezes(policy.freezes)
    return policy
