"""The escalation file: contacts, on-call rotations with their shifts, unavailability, and escalation steps per
severity, validated field by field at their line (``runbooks/escalation.yaml``).

Times of day, handoffs and days off are read in the file's ``timezone`` (an IANA name, UTC when omitted), so a shift
"08:00"-"20:00" in Europe/Berlin stays 08:00-20:00 on the team's clocks across daylight saving time. A rotation
either covers every hour with ``members`` taking turns, or lists ``shifts`` (days of the week and a time range, each
with its own members taking turns); members hand over every ``every`` counted from ``handoff``. Who is on call and
where the gaps are is :mod:`.oncall`; who is paged when is :mod:`.paging`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Channel = Literal["page", "phone", "sms", "email", "slack"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
_TIME = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)\Z")
ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")


@dataclass(frozen=True)
class Contact:
    """A person (or team alias) who can be paged, and how."""

    id: str
    name: str
    role: str
    channels: tuple[tuple[str, str], ...]
    loc: Loc

    def reach(self, channel: str) -> str | None:
        """The address for a channel, or None."""
        return dict(self.channels).get(channel)


@dataclass(frozen=True)
class Shift:
    """Part of the week a rotation covers: days it starts on, a time range (wrapping past midnight when ``end`` is
    not after ``start``), and the members taking turns in it."""

    name: str
    days: tuple[int, ...]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight; 1440 is midnight at the end of the day
    members: tuple[str, ...]
    loc: Loc
    members_loc: Loc

    @property
    def minutes(self) -> int:
        """How long one occurrence lasts."""
        return self.end - self.start if self.end > self.start else 1440 - self.start + self.end


@dataclass(frozen=True)
class Rotation:
    """An on-call rotation."""

    id: str
    description: str
    handoff: datetime  # aware, in the file's time zone: later handoffs fall at the same time on the team's clocks
    every: float  # seconds
    shifts: tuple[Shift, ...]
    loc: Loc
    zone: tzinfo = UTC  # the file's time zone: shifts' times of day and days off are read on its clocks


@dataclass(frozen=True)
class Absence:
    """A contact who cannot be paged between two days (inclusive)."""

    contact: str
    start: date
    end: date
    reason: str
    loc: Loc


@dataclass(frozen=True)
class Step:
    """Notify ``notify`` (rotations or contacts) by ``via`` when the incident is still unacknowledged ``after``
    seconds after it was classified."""

    after: float
    notify: tuple[str, ...]
    via: Channel
    loc: Loc
    notify_loc: Loc
    via_loc: Loc


@dataclass(frozen=True)
class Policy:
    """The escalation steps of one severity, in time order."""

    severity: str
    steps: tuple[Step, ...]
    loc: Loc


@dataclass(frozen=True)
class Escalation:
    """The whole escalation file."""

    path: Path
    contacts: tuple[Contact, ...]
    rotations: tuple[Rotation, ...]
    absences: tuple[Absence, ...]
    policies: tuple[Policy, ...]
    policies_loc: Loc
    timezone: str = "UTC"

    def contact(self, cid: str) -> Contact | None:
        """A contact by id."""
        return next((c for c in self.contacts if c.id == cid), None)

    def rotation(self, rid: str) -> Rotation | None:
        """A rotation by id."""
        return next((r for r in self.rotations if r.id == rid), None)

    def policy(self, severity: str) -> Policy | None:
        """The policy of a severity."""
        return next((p for p in self.policies if p.severity == severity), None)


def _id(name: str, loc: Loc, what: str) -> str:
    if not ID.match(name):
        raise ValidationError(f"{what} id '{name}' must be lowercase letters, digits, '-' or '_'", loc)
    return name


def _contact(cid: str, r: MapReader, loc: Loc) -> Contact:
    name = r.string("name").strip()
    role = r.string("role", "").strip()
    given = {ch: r.string(ch, None) for ch in CHANNELS}  # read them all, so a misspelt one gets a suggestion
    channels = tuple((ch, str(value).strip()) for ch, value in given.items() if value is not None)
    if not channels:
        raise ValidationError(f"contact '{cid}' has no way to be reached (give one of: {', '.join(CHANNELS)})", r.loc)
    r.done()
    return Contact(cid, name or cid, role, channels, loc)


def parse_time(value: object, loc: Loc) -> int:
    """'08:00' -> 480 minutes; '24:00' is the end of the day."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValidationError(f'write times in quotes, like "20:00": YAML read this one as the number {value}', loc)
    match = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(f'expected a time like "08:00", got {value!r}', loc)
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 1440:
        raise ValidationError(f"a time of day ends at 24:00, got {value!r}", loc)
    return minutes


def parse_instant(value: object, loc: Loc, zone: tzinfo = UTC) -> datetime:
    """A date, a datetime or 'YYYY-MM-DD HH:MM' as an aware datetime; without an offset it is read in ``zone``."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)
    raise ValidationError(f'expected a time like "2026-11-30 09:00", got {value!r}', loc)


def parse_zone(name: str, loc: Loc) -> tzinfo:
    """An IANA time zone name ('Europe/Berlin', 'UTC') as a tzinfo; an unknown one is a :class:`ValidationError`."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, tuple(sorted(available_timezones())))
        raise ValidationError(f"unknown time zone {name!r}{hint}: use an IANA name like 'Europe/Berlin'", loc) from None


def _days(r: MapReader) -> tuple[int, ...]:
    days: list[int] = []
    for item, loc in r.items("days"):
        if item not in DAYS:
            raise ValidationError(f"unknown day {item!r}{did_you_mean(str(item), DAYS)}; days: {', '.join(DAYS)}", loc)
        days.append(DAYS.index(item))
    if not days:
        raise ValidationError("'days' must list at least one day", r.loc_of("days"))
    return tuple(sorted(set(days)))


def _members(r: MapReader, key: str = "members") -> tuple[str, ...]:
    members = tuple(r.str_list(key))
    if not members:
        raise ValidationError(f"'{key}' must name at least one contact", r.loc_of(key))
    return members


def _shift(rid: str, index: int, item: object, loc: Loc) -> Shift:
    r = MapReader(item, loc, f"shift of rotation '{rid}'")
    name = r.string("name", f"shift-{index + 1}")
    days = _days(r)
    start = parse_time(r.raw("from"), r.loc_of("from"))
    end = parse_time(r.raw("to"), r.loc_of("to"))
    if start == 1440:
        raise ValidationError('a shift cannot start at 24:00 (write "00:00" on the next day)', r.loc_of("from"))
    members = _members(r)
    r.done()
    return Shift(name, days, start, end, members, r.loc, r.loc_of("members"))


def _rotation(rid: str, r: MapReader, loc: Loc, zone: tzinfo) -> Rotation:
    _id(rid, loc, "rotation")
    description = r.string("description", "").strip()
    handoff = parse_instant(r.raw("handoff"), r.loc_of("handoff"), zone)
    every = r.duration("every")
    if every < 3600:
        raise ValidationError(f"'every' must be at least an hour, got {every:g} s", r.loc_of("every"))
    if r.has("members") == r.has("shifts"):
        raise ValidationError(
            f"rotation '{rid}' needs either 'members' (on call around the clock) or 'shifts', not "
            + ("both" if r.has("members") else "neither"),
            loc,
        )
    if r.has("members"):
        members = _members(r)
        shifts: tuple[Shift, ...] = (
            Shift("around-the-clock", tuple(range(7)), 0, 1440, members, loc, r.loc_of("members")),
        )
    else:
        shifts = tuple(_shift(rid, i, item, loc) for i, (item, loc) in enumerate(r.items("shifts")))
        if not shifts:
            raise ValidationError(f"rotation '{rid}' lists no shifts", r.loc_of("shifts"))
    r.done()
    return Rotation(rid, description, handoff, every, shifts, loc, zone)


def _absence(item: object, loc: Loc) -> Absence:
    r = MapReader(item, loc, "unavailability")
    contact = r.string("contact")
    start = parse_instant(r.raw("from"), r.loc_of("from")).date()
    end = parse_instant(r.raw("to"), r.loc_of("to")).date()
    if end < start:
        raise ValidationError(f"'to' ({end}) is before 'from' ({start})", r.loc_of("to"))
    reason = r.string("reason", "").strip()
    r.done()
    return Absence(contact, start, end, reason, r.loc)


def _step(item: object, loc: Loc) -> Step:
    r = MapReader(item, loc, "escalation step")
    after = r.duration("after")
    notify = _members(r, "notify")
    via = r.choice("via", CHANNELS)
    r.done()
    return Step(after, notify, via, r.loc, r.loc_of("notify"), r.loc_of("via"))


def _policy(severity: str, value: object, loc: Loc) -> Policy:
    if not isinstance(value, list) or not value:
        raise ValidationError(f"escalation for '{severity}' must be a non-empty list of steps", loc)
    lines = getattr(value, "item_lines", [])
    steps = tuple(_step(item, Loc(loc.path, lines[i] if i < len(lines) else loc.line)) for i, item in enumerate(value))
    for before, step in itertools.pairwise(steps):
        if step.after < before.after:
            raise ValidationError(
                f"steps must be in time order: this one ({step.after:g} s) comes after one at {before.after:g} s",
                step.loc,
            )
    return Policy(severity, steps, loc)


def parse_escalation(data: object, path: Path) -> Escalation:
    """Validate parsed escalation YAML (structure only; :func:`.paging.check` cross-checks it)."""
    r = MapReader(data, Loc(str(path), 1), "escalation")
    version = r.integer("version", 1)
    if version != 1:
        raise ValidationError(f"unsupported version {version} (this opsready reads version 1)", r.loc_of("version"))
    timezone = r.string("timezone", "UTC").strip()
    zone = parse_zone(timezone, r.loc_of("timezone"))
    section = r.map("contacts")
    contacts = tuple(
        _contact(_id(cid, section.loc_of(cid), "contact"), section.map(cid, f"contact '{cid}'"), section.loc_of(cid))
        for cid in section.names()
    )
    section = r.map("rotations")
    rotations = tuple(
        _rotation(rid, section.map(rid, f"rotation '{rid}'"), section.loc_of(rid), zone) for rid in section.names()
    )
    absences = tuple(_absence(item, loc) for item, loc in r.items("unavailable", []))
    section = r.map("escalation")
    policies = tuple(_policy(name, section.raw(name), section.loc_of(name)) for name in section.names())
    r.done()
    return Escalation(path, contacts, rotations, absences, policies, r.loc_of("escalation"), timezone)


def load_escalation(path: Path) -> Escalation:
    """Read and validate an escalation file."""
    return parse_escalation(load_yaml(path), path)
