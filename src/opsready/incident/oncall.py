"""Who is on call in a rotation at a given moment, and where a rotation leaves nobody on call.

Members of a shift take turns: the turn at time ``t`` is ``floor((t - handoff) / every)`` counted on the rotation's
clocks (its time zone, so a 09:00 handoff stays at 09:00 across daylight saving time), and an unavailable member is
replaced by the next one of the same shift. Shifts and days off are days and times on those clocks too. A gap is a
stretch of time no shift covers, or where every member of the covering shift is unavailable. Gaps are found exactly,
by checking every stretch between two boundaries (shift starts and ends, handoffs, first and last days of absences).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

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
        """'rotation primary has nobody on call from Sat 2026-12-26 00:00 to Mon 2026-12-28 00:00 UTC (...)', on
        the rotation's clocks."""
        fmt = "%a %Y-%m-%d %H:%M %Z"
        return (
            f"rotation '{self.rotation}' has nobody on call from {self.start.strftime(fmt)} to "
            f"{self.end.strftime(fmt)} ({self.reason})"
        )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _occurrences(shift: Shift, first: date, last: date, zone: tzinfo) -> list[tuple[datetime, datetime]]:
    """Every occurrence of ``shift`` starting on a day from ``first`` to ``last``, as wall-clock times in ``zone``
    (aware datetimes compare by the instant they name, so they compare right with times in any zone)."""
    found = []
    day = first
    while day <= last:
        if day.weekday() in shift.days:
            begin = _midnight(day, zone) + timedelta(minutes=shift.start)
            found.append((begin, begin + timedelta(minutes=shift.minutes)))
        day += timedelta(days=1)
    return found


def covering_shift(rotation: Rotation, at: datetime) -> Shift | None:
    """The first shift of the rotation covering ``at``, or None."""
    today = at.astimezone(rotation.zone).date()
    for shift in rotation.shifts:
        for begin, end in _occurrences(shift, today - timedelta(days=1), today, rotation.zone):
            if begin <= at < end:
                return shift
    return None


def _absent(absences: tuple[Absence, ...], contact: str, day: date) -> Absence | None:
    return next((a for a in absences if a.contact == contact and a.start <= day <= a.end), None)


def turn(rotation: Rotation, at: datetime) -> int:
    """The rotation's turn number at ``at`` (negative before the first handoff), counted on the rotation's clocks."""
    wall = at.astimezone(rotation.zone).replace(tzinfo=None)
    elapsed = wall - rotation.handoff.replace(tzinfo=None)  # the handoff is read in the rotation's zone
    return math.floor(elapsed.total_seconds() / rotation.every)


def on_call(escalation: Escalation, rotation: Rotation, at: datetime) -> OnCall | None:
    """Who covers ``rotation`` at ``at`` (any time zone), or None when nobody does."""
    shift = covering_shift(rotation, at)
    today = at.astimezone(rotation.zone).date()
    if shift is None:
        return None
    members = shift.members
    scheduled = turn(rotation, at) % len(members)
    for offset in range(len(members)):
        contact = members[(scheduled + offset) % len(members)]
        if _absent(escalation.absences, contact, today) is None:
            replaces = members[scheduled] if offset else ""
            return OnCall(rotation.id, shift.name, contact, replaces)
    return None


def _why(escalation: Escalation, rotation: Rotation, at: datetime) -> str:
    shift = covering_shift(rotation, at)
    if shift is None:
        return "no shift covers this time"
    away = []
    for contact in shift.members:
        absence = _absent(escalation.absences, contact, at.astimezone(rotation.zone).date())
        away.append(f"{contact} unavailable" + (f": {absence.reason}" if absence and absence.reason else ""))
    return f"shift '{shift.name}': " + ", ".join(away)


def _boundaries(escalation: Escalation, rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    zone = rotation.zone
    points = {start, end}
    first_day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    for shift in rotation.shifts:
        for begin, finish in _occurrences(shift, first_day - timedelta(days=1), last_day, zone):
            points.update((begin, finish))
    first, last = turn(rotation, start), turn(rotation, end) + 1
    step = timedelta(seconds=rotation.every)
    # the handoff is in the rotation's zone, so these are wall-clock steps: the same time on the team's clocks
    points.update(rotation.handoff + step * k for k in range(first, last + 1))
    for absence in escalation.absences:
        points.update((_midnight(absence.start, zone), _midnight(absence.end + timedelta(days=1), zone)))
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
        start_at, end_at = begin.astimezone(rotation.zone), finish.astimezone(rotation.zone)  # on the team's clocks
        if found and found[-1].end == start_at and found[-1].reason == reason:
            found[-1] = Gap(rotation.id, found[-1].start, end_at, reason)
        else:
            found.append(Gap(rotation.id, start_at, end_at, reason))
    return tuple(found)


@dataclass(frozen=True)
class Turn:
    """A stretch of time in which one contact covers a rotation's shift (``contact`` empty: nobody does)."""

    rotation: str
    shift: str
    start: datetime
    end: datetime
    contact: str
    replaces: str = ""


def schedule(escalation: Escalation, rotation: Rotation, start: datetime, end: datetime) -> tuple[Turn, ...]:
    """Who covers the rotation from ``start`` to ``end``, as merged turns on the rotation's clocks (a printed rota);
    time no shift covers is left out, a shift whose members are all away is a turn with no contact."""
    found: list[Turn] = []
    for begin, finish in itertools.pairwise(_boundaries(escalation, rotation, start, end)):
        middle = begin + (finish - begin) / 2
        shift = covering_shift(rotation, middle) if finish > begin else None
        if shift is None:
            continue
        who = on_call(escalation, rotation, middle)
        contact, replaces = (who.contact, who.replaces) if who else ("", "")
        start_at, end_at = begin.astimezone(rotation.zone), finish.astimezone(rotation.zone)
        last = found[-1] if found else None
        if (
            last
            and last.end == start_at
            and (last.shift, last.contact, last.replaces) == (shift.name, contact, replaces)
        ):
            found[-1] = Turn(rotation.id, shift.name, last.start, end_at, contact, replaces)
        else:
            found.append(Turn(rotation.id, shift.name, start_at, end_at, contact, replaces))
    return tuple(found)
