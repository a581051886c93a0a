"""Durations as people write them, and the errors for ones that do not parse."""

from __future__ import annotations

import pytest

from opsready.durations import format_duration, parse_duration
from opsready.errors import Loc, ValidationError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5 minutes", 300.0),
        ("300ms", 0.3),
        ("1h30m", 5400.0),
        ("90s", 90.0),
        ("2 hours", 7200.0),
        ("1.5s", 1.5),
        (42, 42.0),
        ("7", 7.0),
        ("1 week", 604800.0),
        ("1m 30s", 90.0),
    ],
)
def test_parses_human_durations(text: object, seconds: float) -> None:
    """Each written form parses to the right number of seconds."""
    assert parse_duration(text) == pytest.approx(seconds)


def test_misspelt_unit_names_the_unit_and_suggests_the_fix() -> None:
    """'5 minuts' is refused with the unit it did not know and the closest real one, at the given place."""
    with pytest.raises(ValidationError) as info:
        parse_duration("5 minuts", Loc("opsready.yaml", 7))
    assert (
        str(info.value) == "opsready.yaml:7: bad duration '5 minuts': unknown unit 'minuts' (did you mean 'minutes'?)"
    )


@pytest.mark.parametrize("bad", ["", "soon", "5 minutes ago", -1, True, None, "-3s", "m5"])
def test_rejects_non_durations(bad: object) -> None:
    """Anything that is not a non-negative duration is a validation error."""
    with pytest.raises(ValidationError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.25, "250 ms"), (4.2, "4.2 s"), (185, "3 min 5 s"), (7260, "2 h 1 min")]
)
def test_formats_for_people(seconds: float, text: str) -> None:
    """Short forms used in reports."""
    assert format_duration(seconds) == text
