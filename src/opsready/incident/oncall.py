"""Who is on call in a rotation at a given moment, and where a rotation leaves nobody on call.

Members of a shift take turns: the turn at time ``t`` is ``floor((t - handoff) / every)``, and an unavailable member
is replaced by the next one of the same shift. A gap is a stretch of time no shift covers, or where every member of
the covering shift is unavailable. Gaps are found exactly, by checking every stretch between two boundaries (shift
starts and ends, handoffs, first and last days of absences).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from opsready.incident.escalation import Absence, Escalation, Rotation, Shift


@dataclass(frozen=True)
class OnCall:
    """Who covers a rotation at one moment."""

    rotation: str
    shift: str
    contact: str
    replaces: str = ""  # the scheduled member, when they were unavailable


@dataclass(frozen=True)
class Gap:
    """A stretch of time a rotation leaves nobody on call."""

    rotation: str
    start: datetime
    end: datetime
    reason: str

    def describe(self) -> str:
        """'rotation primary has nobody on call from Sat 2026-12-26 00:00 to Mon 2026-12-28 00:00 UTC (...)'."""
        fmt = "%a %Y-%m-%d %H:%M"
        return (
            f"rotation '{self.rotation}' has nobody on call from {self.start.strftime(fmt)} to "
            f"{self.end.strftime(fmt)} UTC ({self.reason})"
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _occurrences(shift: Shift, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """Every occurrence of ``shift`` starting on a day from ``first`` to ``last``."""
    found = []
    day = first
    while day <= last:
        if day.weekday() in shift.days:
            begin = _midnight(day) + timedelta(minutes=shift.start)
            found.append((begin, begin + timedelta(minutes=shift.minutes)))
        day += timedelta(days=1)
    return found


def covering_shift(rotation: Rotation, at: datetime) -> Shift | None:
    """The first shift of the rotation covering ``at``, or None."""
    for shift in rotation.shifts:
        for begin, end in _occurrences(shift, at.date() - timedelta(days=1), at.date()):
            if begin <= at < end:
                return shift
    return None


def _absent(absences: tuple[Absence, ...], contact: str, day: date) -> Absence | None:
    return next((a for a in absences if a.contact == contact and a.start <= day <= a.end), None)


def turn(rotation: Rotation, at: datetime) -> int:
    """The rotation's turn number at ``at`` (negative before the first handoff)."""
    return math.floor((at - rotation.handoff).total_seconds() / rotation.every)


def on_call(escalation: Escalation, rotation: Rotation, at: datetime) -> OnCall | None:
    """Who covers ``rotation`` at ``at`` (UTC), or None when nobody does."""
    shift = covering_shift(rotation, at)
    if shift is None:
        return None
    members = shift.members
    scheduled = turn(rotation, at) % len(members)
    for offset in range(len(members)):
        contact = members[(scheduled + offset) % len(members)]
        if _absent(escalation.absences, contact, at.date()) is None:
            replaces = members[scheduled] if offset else ""
            return OnCall(rotation.id, shift.name, contact, replaces)
    return None


def _why(escalation: Escalation, rotation: Rotation, at: datetime) -> str:
    shift = covering_shift(rotation, at)
    if shift is None:
        return "no shift covers this time"
    away = []
    for contact in shift.members:
        absence = _absent(escalation.absences, contact, at.date())
        away.append(f"{contact} unavailable" + (f": {absence.reason}" if absence and absence.reason else ""))
    return f"shift '{shift.name}': " + ", ".join(away)


def _boundaries(escalation: Escalation, rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    points = {start, end}
    for shift in rotation.shifts:
        for begin, finish in _occurrences(shift, start.date() - timedelta(days=1), end.date()):
            points.update((begin, finish))
    first, last = turn(rotation, start), turn(rotation, end) + 1
    step = timedelta(seconds=rotation.every)
    points.update(rotation.handoff + step * k for k in range(first, last + 1))
    for absence in escalation.absences:
        points.update((_midnight(absence.start), _midnight(absence.end + timedelta(days=1))))
    return sorted(p for p in points if start <= p <= end)


def gaps(escalation: Escalation, rotation: Rotation, start: datetime, end: datetime) -> tuple[Gap, ...]:
    """Every stretch from ``start`` to ``end`` in which the rotation leaves nobody on call (merged)."""
    found: list[Gap] = []
    points = _boundaries(escalation, rotation, start, end)
    for begin, finish in itertools.pairwise(points):
        if finish <= begin:
            continue
        middle = begin + (finish - begin) / 2
        if on_call(escalation, rotation, middle) is not None:
            continue
        reason = _why(escalation, rotation, middle)
        if found and found[-1].end == begin and found[-1].reason == reason:
            found[-1] = Gap(rotation.id, found[-1].start, finish, reason)
        else:
            found.append(Gap(rotation.id, begin, finish, reason))
    return tuple(found)
