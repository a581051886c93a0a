"""Maintenance notices: the shipped templates render with real values; template mistakes are reported at their line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsready.config.maintenance import MaintenancePolicy
from opsready.errors import ValidationError
from opsready.maintenance import comms
from opsready.maintenance.window import find_window
from opsready.traffic_history import load_history

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "runbooks" / "templates"


def test_every_shipped_template_renders() -> None:
    """announcement, start, completion and extension exist and use only known placeholders."""
    comms.check_templates(TEMPLATES)
    for kind in comms.KINDS:
        assert comms.template_path(TEMPLATES, kind).is_file()


def test_the_announcement_carries_the_window_and_the_expected_impact(tmp_path: Path) -> None:
    """Rendered from a real window choice, into the comms directory, with no placeholder left unfilled."""
    history = load_history(ROOT / "tests" / "data" / "maintenance" / "traffic-history.csv")
    choice = find_window(history, 7200, MaintenancePolicy(), dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    values = comms.announcement_values(choice, "Database backup with verified restore", "database-backup", "sandbox")
    path = comms.write_notice(TEMPLATES, tmp_path / "comms", "announcement", "backup", values)
    text = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path / "comms" and path.name.endswith("-backup-announcement.md")
    assert "Sun 2026-12-06 03:00 UTC to Sun 2026-12-06 05:00 UTC" in text
    assert f"about {choice.best.expected_requests:,.0f} requests" in text
    assert "n/a" not in text and "{{" not in text


def test_a_value_the_caller_lacks_reads_n_a_never_a_sample(tmp_path: Path) -> None:
    """Sample values only serve validation: a real notice never shows one as if it had been measured."""
    text = comms.write_notice(TEMPLATES, tmp_path, "completion", "x", {"outcome": "succeeded"}).read_text()
    assert "succeeded" in text and "n/a" in text
    assert comms.PLACEHOLDERS["measured_duration"] not in text


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("Hello {{ service }}\nWindow {{ window_start }\n", 2, "template syntax error"),
        ("Hello {{ service }}\n\nImpact {{ user_count }}\n", 3, "'user_count' is not a field of maintenance notices"),
    ],
)
def test_template_mistakes_are_reported_at_their_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    """A broken template stops maintenance before it starts, at path:line."""
    for kind in comms.KINDS:
        comms.template_path(tmp_path, kind).write_text("ok {{ service }}\n", encoding="utf-8")
    broken = comms.template_path(tmp_path, "start")
    broken.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        comms.check_templates(tmp_path)
    assert message in caught.value.message
    assert caught.value.loc is not None and (caught.value.loc.path, caught.value.loc.line) == (str(broken), line)


def test_a_missing_template_names_its_path(tmp_path: Path) -> None:
    """No template directory: the first missing file is named."""
    with pytest.raises(ValidationError, match="notice template not found"):
        comms.check_templates(tmp_path)
