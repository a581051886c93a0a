"""`opsready capacity`: bad input is one clear `path:line: message` with exit code 2, before any load starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG = str(ROOT / "opsready.yaml")


def opsready(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the CLI as users do."""
    command = [sys.executable, "-m", "opsready.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("version: 1\nplanned_load: planned\nthresholds:\n  - p95 < 300\n", 4, "a latency needs a unit"),
        ("version: 1\nplanned_load: planned\nthresholds:\n  - p95 < 300ms for 10s\n", 4, "belongs to scaling triggers"),
        ("version: 1\nplanned_load: planed\n", 2, "did you mean 'planned'"),
        (
            "version: 1\nplanned_load: planned\nscaling:\n  min_units: 2\n  max_units: 1\n  out: [p95 > 1s]\n",
            5,
            "below",
        ),
        ("version: 1\nplanned_load: planned\nfinder:\n  start: 0\n", 4, "'start' must be greater than 0"),
        ("version: 1\nplanned_load: planned\nthreshold:\n  - p95 < 300ms\n", 3, "unknown key 'threshold'"),
    ],
)
def test_a_broken_capacity_file_stops_before_any_load(tmp_path: Path, content: str, line: int, message: str) -> None:
    """`opsready capacity run` with a malformed capacity file: path:line: message, exit 2, no traceback."""
    path = tmp_path / "capacity.yaml"
    path.write_text(content.replace("version: 1\n", f"version: 1\nprofiles: {ROOT}/loadtests/profiles.yaml\n", 1))
    result = opsready("capacity", "run", "--config", CONFIG, "--capacity-file", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{path}:{line + 1}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "running" not in result.stderr


def test_a_broken_history_names_its_line(tmp_path: Path) -> None:
    """`opsready capacity forecast` on a CSV with a bad timestamp."""
    path = tmp_path / "history.csv"
    path.write_text("timestamp,rps\n2026-01-05T00:00:00Z,3\nyesterday,4\n")
    result = opsready("capacity", "forecast", "--config", CONFIG, "--history", str(path))
    assert result.returncode == 2 and f"{path}:3: bad timestamp 'yesterday'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_profile_and_out_of_bounds_scaling_are_usage_errors() -> None:
    """Refused before anything touches the target."""
    unknown = opsready("capacity", "run", "plannd", "--config", CONFIG)
    assert unknown.returncode == 2 and "no load profile 'plannd'" in unknown.stderr
    assert "did you mean 'planned'" in unknown.stderr
    bounds = opsready("capacity", "scale", "99", "--config", CONFIG)
    assert bounds.returncode == 2 and "outside the scaling bounds 2..6" in bounds.stderr


def test_forecast_and_plan_from_a_saved_measurement(tmp_path: Path) -> None:
    """The sample history forecasts ~1.8 % a week; the plan renders from capacity.json without touching a target."""
    forecast = opsready("capacity", "forecast", "--config", CONFIG, "--measured", str(tmp_path / "none.json"))
    assert forecast.returncode == 0, forecast.stderr
    assert "growth 1.8" in forecast.stdout and "no measured capacity" in forecast.stdout
    missing = opsready("capacity", "plan", "--config", CONFIG, "--measured", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "opsready capacity find" in missing.stderr


@pytest.mark.parametrize("command", [("run",), ("find",), ("scale", "3")])
def test_load_and_scaling_are_refused_on_a_target_that_is_not_allowlisted(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Loading or scaling changes the target: only on one listed in safety.destructive_targets (exit 2, and the
    refusal comes before any load starts or any unit changes; the target here is never even up)."""
    config = tmp_path / "opsready.yaml"
    config.write_text(
        "version: 1\ntargets:\n  staging:\n    platform: sandbox\n    state_dir: st\n"
        "safety:\n  destructive_targets: []\n"
    )
    capacity = tmp_path / "capacity.yaml"
    capacity.write_text((ROOT / "loadtests/capacity.yaml").read_text().replace(" loadtests/", f" {ROOT}/loadtests/"))
    result = opsready("capacity", *command, "--config", str(config), "--capacity-file", str(capacity))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refused: target 'staging' is not in safety.destructive_targets of opsready.yaml" in result.stderr
    assert "Traceback" not in result.stderr and "running" not in result.stderr and "finding" not in result.stderr
