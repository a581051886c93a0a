"""Traffic history files: the timestamp,rps CSV, validated with the line of each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import UserError, ValidationError
from opsready.traffic_history import load_history, parse_history

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "maintenance" / "traffic-history.csv"


def test_the_sample_history_covers_two_weeks_every_15_minutes() -> None:
    """The shipped sample: 1344 samples, 15-minute interval, two weeks from Monday 2026-11-02."""
    history = load_history(SAMPLE)
    assert len(history.points) == 14 * 96
    assert history.interval == 900
    assert history.start.isoformat() == "2026-11-02T00:00:00+00:00"
    assert history.span == 14 * 86400


def test_extra_columns_offsets_and_blank_lines_are_accepted() -> None:
    """Columns by name in any order; offsets converted to UTC; a naive timestamp is taken as UTC."""
    text = "region,rps,timestamp\neu,1.5,2026-11-02T01:00:00+01:00\n\neu,2,2026-11-02T00:05:00\n"
    history = parse_history(text, Path("h.csv"))
    assert [p.at.isoformat() for p in history.points] == ["2026-11-02T00:00:00+00:00", "2026-11-02T00:05:00+00:00"]
    assert [p.rps for p in history.points] == [1.5, 2.0]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty traffic history"),
        ("time,rps\n2026-11-02T00:00:00Z,1\n", 1, "missing: timestamp"),
        ("timestamp,rps\n2026-11-02T00:00:00Z,1\nyesterday,2\n", 3, "bad timestamp 'yesterday'"),
        ("timestamp,rps\n2026-11-02T00:00:00Z,1\n2026-11-02T00:05:00Z,-3\n", 3, "must be zero or more"),
        ("timestamp,rps\n2026-11-02T00:00:00Z,1\n2026-11-02T00:05:00Z,lots\n", 3, "bad rps 'lots'"),
        ("timestamp,rps\n2026-11-02T00:05:00Z,1\n2026-11-02T00:00:00Z,1\n", 3, "timestamps must increase"),
        ("timestamp,rps\n2026-11-02T00:00:00Z,1,9\n", 2, "expected 2 columns"),
        ("timestamp,rps\n2026-11-02T00:00:00Z,1\n", 1, "at least two samples"),
    ],
)
def test_mistakes_are_reported_at_their_line(text: str, line: int, message: str) -> None:
    """path:line and what is wrong."""
    with pytest.raises(ValidationError) as caught:
        parse_history(text, Path("history.csv"))
    assert message in caught.value.message
    assert caught.value.loc is not None and (caught.value.loc.path, caught.value.loc.line) == ("history.csv", line)


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    """No traceback for a wrong path: the error names the file and the option to fix it."""
    with pytest.raises(UserError, match="traffic history not found"):
        load_history(tmp_path / "nope.csv")
