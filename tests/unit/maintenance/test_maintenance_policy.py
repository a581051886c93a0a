"""The maintenance: section of opsready.yaml: allowed windows, freezes, thresholds, and every mistake at its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.config.maintenance import AllowedWindow, Freeze, MaintenancePolicy
from opsready.errors import ConfigError

HEAD = "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\nmaintenance:\n"


def _load(tmp_path: Path, section: str) -> MaintenancePolicy:
    path = tmp_path / "opsready.yaml"
    path.write_text(HEAD + section, encoding="utf-8")
    return load_config(path).maintenance


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


def test_a_full_section_is_read_into_typed_values(tmp_path: Path) -> None:
    """Durations, percentages, weekly windows (crossing midnight too) and freezes with inclusive end dates."""
    policy = _load(
        tmp_path,
        "  max_duration: 90 minutes\n"
        "  allowed_windows:\n"
        "    - days: [sat, sun]\n"
        '      from: "22:00"\n'
        '      to: "02:00"\n'
        "  freezes:\n"
        "    - name: year-end\n"
        "      from: 2026-12-21\n"
        "      to: 2027-01-04\n"
        "  certificate_warn_days: 14\n"
        "  disk_threshold: 75%\n"
        "  log_keep: 3\n",
    )
    assert policy.max_duration == 5400
    assert policy.allowed_windows == (AllowedWindow((5, 6), 22 * 60, 2 * 60),)
    assert policy.freezes == (Freeze("year-end", _utc(2026, 12, 21), _utc(2027, 1, 5)),)
    assert (policy.certificate_warn_days, policy.disk_threshold, policy.log_keep) == (14, 0.75, 3)


def test_the_shipped_configuration_declares_a_policy() -> None:
    """opsready.yaml carries the 2-hour KPI, a nightly window and the year-end freeze."""
    policy = load_config(Path(__file__).resolve().parents[3] / "opsready.yaml").maintenance
    assert policy.max_duration == 7200
    assert policy.allowed_windows and policy.freezes


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ("  max_duration: 2 hourz\n", 6, "unknown unit 'hourz'"),
        ("  allowed_windows:\n    - days: [mon, tues]\n      from: '00:00'\n      to: '06:00'\n", 7, "unknown day"),
        ("  allowed_windows:\n    - from: 2am\n      to: '06:00'\n", 7, "time of day"),
        ("  allowed_windows:\n    - from: '03:00'\n      to: '03:00'\n", 7, "'to' different from 'from'"),
        ("  freezes:\n    - name: x\n      from: 2026-12-10\n      to: 2026-12-01\n", 9, "ends before it starts"),
        ("  freezes:\n    - name: x\n      from: 2026-13-10\n      to: 2026-12-01\n", 0, "bad date"),
        ("  freezes:\n    - name: x\n      from: tomorrow\n      to: 2026-12-01\n", 8, "expected a date"),
        ("  disk_threshold: 180%\n", 6, "percentage"),
        ("  log_keep: 0\n", 6, "at least 1"),
        ("  freeze: []\n", 6, "unknown key 'freeze'"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, section: str, line: int, message: str) -> None:
    """Each mistake names opsready.yaml and the line it was written on."""
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, section)
    assert message in caught.value.message
    if line:
        assert caught.value.loc is not None and caught.value.loc.line == line, caught.value


def test_overlapping_freezes_are_refused_at_the_later_one(tmp_path: Path) -> None:
    """Two freezes that overlap are a typo or one freeze: the second is reported, naming the first's line."""
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            "  freezes:\n"
            "    - name: black-friday\n      from: 2026-11-26\n      to: 2026-11-30\n"
            "    - name: cyber-monday\n      from: 2026-11-30\n      to: 2026-12-01\n",
        )
    assert "freeze 'cyber-monday' overlaps freeze 'black-friday' (line 7)" in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == 10


def test_refusal_names_the_freeze_or_the_windows() -> None:
    """Inside the window and outside freezes is allowed; a freeze or a time outside the windows is refused."""
    policy = MaintenancePolicy(
        allowed_windows=(AllowedWindow(tuple(range(7)), 0, 6 * 60),),
        freezes=(Freeze("year-end", _utc(2026, 12, 21), _utc(2027, 1, 5)),),
    )
    assert policy.refusal(_utc(2026, 12, 1, 2), 3600) is None
    assert "not inside an allowed maintenance window" in str(policy.refusal(_utc(2026, 12, 1, 12), 3600))
    assert "not inside" in str(policy.refusal(_utc(2026, 12, 1, 5, 30), 3600)), "must end inside the window too"
    assert "change freeze 'year-end'" in str(policy.refusal(_utc(2026, 12, 22, 2), 3600))
    assert "change freeze" in str(policy.refusal(_utc(2026, 12, 20, 23, 30), 3600)), "overlapping its start"


def test_a_window_across_midnight_holds_on_both_days() -> None:
    """Saturday 22:00 to 02:00 covers Saturday night and the first hours of Sunday, not Sunday evening."""
    policy = MaintenancePolicy(allowed_windows=(AllowedWindow((5,), 22 * 60, 2 * 60),))
    saturday = _utc(2026, 12, 5, 23)
    assert policy.refusal(saturday, 3600) is None
    assert policy.refusal(_utc(2026, 12, 6, 0, 30), 3600) is None
    assert policy.refusal(_utc(2026, 12, 6, 22, 30), 600) is not None
    assert policy.refusal(saturday, 4 * 3600) is not None, "past 02:00"


def test_no_windows_means_any_time_outside_freezes() -> None:
    """Without allowed windows only freezes restrict maintenance."""
    assert MaintenancePolicy().refusal(_utc(2026, 12, 1, 14), 7200) is None
