"""Durations as people write them in runbooks and config: '5 minutes', '300ms', '1h30m', '90s', or plain seconds."""

from __future__ import annotations

import re

from opsready.errors import Loc, ValidationError

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*")


def parse_duration(value: object, loc: Loc | None = None) -> float:
    """Parse a duration into seconds; a bad one raises :class:`ValidationError` naming the unit it did not know."""
    where = loc or Loc("<input>")
    if isinstance(value, bool):
        raise ValidationError(f"expected a duration like '5 minutes', got {value!r}", where)
    if isinstance(value, int | float):
        if value < 0:
            raise ValidationError(f"a duration cannot be negative: {value}", where)
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"expected a duration like '5 minutes', got {value!r}", where)
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number < 0:
            raise ValidationError(f"a duration cannot be negative: {text}", where)
        return number
    total = 0.0
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        unit = match.group(2).lower()
        if unit not in _UNITS:
            from opsready.spelling import did_you_mean

            hint = did_you_mean(unit, tuple(_UNITS)) or " (use ms, s, m, h, d or w, or words like 'minutes')"
            raise ValidationError(f"bad duration '{text}': unknown unit '{match.group(2)}'{hint}", where)
        total += float(match.group(1)) * _UNITS[unit]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValidationError(f"bad duration '{text}': expected e.g. '5 minutes', '300ms' or '1h30m'", where)
    return total


def format_duration(seconds: float) -> str:
    """A short human form: '850 ms', '4.2 s', '3 min 5 s', '2 h 0 min'."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, secs = divmod(round(seconds), 60)
        return f"{minutes} min {secs} s"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60} min"
