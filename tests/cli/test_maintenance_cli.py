"""`opsready maintenance` on bad input: one clear line (path:line where there is a file), exit code 2, no traceback,
and nothing created or changed."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "maintenance" / "traffic-history.csv"
OPSREADY = [sys.executable, "-m", "opsready.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OPSREADY, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def suite(tmp_path: Path, maintenance: str = "") -> Path:
    """A suite directory whose sandbox state would go to ./st (it must never be created here)."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\n"
        f"maintenance:\n  templates_dir: {ROOT / 'runbooks' / 'templates'}\n  comms_dir: comms\n{maintenance}",
        encoding="utf-8",
    )
    return tmp_path


def assert_clean_refusal(result: subprocess.CompletedProcess[str], cwd: Path, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (cwd / "st").exists(), "bad input must not touch the target"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("run", "bakup"), ("unknown maintenance procedure 'bakup' (did you mean 'backup'?)",)),
        (("run", "backup", "--force"), ("--force needs --reason",)),
        (("run", "backup", "--reason", "x"), ("--reason goes with --force",)),
        (("run", "patch"), ("needs the release",)),
        (("run", "backup", "--release", "1.2.1"), ("takes no release",)),
        (("run", "patch", "--release", "1.2.1", "--planned", "2 hourz"), ("--planned", "unknown unit 'hourz'")),
        (("window", "--length", "25h", "--history", str(SAMPLE)), ("at most a day",)),
        (("window", "--length", "3h", "--history", str(SAMPLE)), ("exceeds the planned-maintenance limit",)),
        (("window", "--length", "2h", "--history", str(SAMPLE), "--after", "tuesday"), ("--after",)),
        (("window", "--length", "2h", "--history", "nope.csv"), ("traffic history not found",)),
        (("window", "--length", "2h"), ("no traffic history at", "pass --history")),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    """Each mistake is one clear error, before the target is opened."""
    cwd = suite(tmp_path)
    assert_clean_refusal(run("maintenance", *args, cwd=cwd), cwd, *fragments)


def test_a_malformed_history_is_reported_at_its_line(tmp_path: Path) -> None:
    """path:line: message and the offending line."""
    cwd = suite(tmp_path)
    history = tmp_path / "h.csv"
    history.write_text("timestamp,rps\n2026-11-02T00:00:00Z,3\n2026-11-02T00:15:00Z,three\n", encoding="utf-8")
    result = run("maintenance", "window", "--length", "2h", "--history", str(history), cwd=cwd)
    assert_clean_refusal(result, cwd, f"{history}:3: bad rps 'three'", "2026-11-02T00:15:00Z,three")


def test_overlapping_freezes_in_the_config_are_reported_at_their_line(tmp_path: Path) -> None:
    """The configuration is validated before anything else."""
    cwd = suite(
        tmp_path,
        "  freezes:\n    - name: a\n      from: 2026-12-01\n      to: 2026-12-10\n"
        "    - name: b\n      from: 2026-12-05\n      to: 2026-12-06\n",
    )
    result = run("maintenance", "window", "--length", "2h", "--history", str(SAMPLE), cwd=cwd)
    assert_clean_refusal(result, cwd, f"{cwd / 'opsready.yaml'}:13: freeze 'b' overlaps freeze 'a' (line 10)")


def test_maintenance_outside_the_allowed_window_is_refused_without_force(tmp_path: Path) -> None:
    """Exit code 2 with the reason and how to force it; the sandbox (down here) is never touched."""
    opens = dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=12)
    cwd = suite(
        tmp_path,
        f"  allowed_windows:\n    - from: '{opens:%H}:00'\n      to: '{(opens + dt.timedelta(hours=1)):%H}:00'\n",
    )
    result = run("maintenance", "run", "housekeeping", cwd=cwd)
    assert_clean_refusal(result, cwd, "refused: 'housekeeping' may not start now", "--force --reason")


def test_the_window_finder_explains_its_choice_and_writes_the_announcement(tmp_path: Path) -> None:
    """Read-only: the quiet Sunday hours of the sample, the expected impact, and the announcement file."""
    cwd = suite(tmp_path)
    args = ("--history", str(SAMPLE), "--after", "2026-12-01T12:00Z", "--announce", "backup")
    result = run("maintenance", "window", "--length", "2h", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert "quietest 2 h window: Sun 2026-12-06 03:00 to 05:00 UTC" in result.stdout
    assert "expected user impact: about 9,738 requests" in result.stdout
    notices = list((cwd / "comms").glob("*-backup-announcement.md"))
    assert len(notices) == 1 and "Sun 2026-12-06 03:00 UTC" in notices[0].read_text(encoding="utf-8")
    assert not (cwd / "st").exists()


def test_list_names_every_procedure_and_its_runbook(tmp_path: Path) -> None:
    """`opsready maintenance list`."""
    result = run("maintenance", "list", cwd=suite(tmp_path))
    assert result.returncode == 0
    for name in ("backup", "housekeeping", "log-rotation", "disk-check", "certificate-check", "patch"):
        assert f"{name}:" in result.stdout


def test_a_target_not_allowlisted_for_changes_is_refused(tmp_path: Path) -> None:
    """Procedures that change the target need it in safety.destructive_targets, like deployments."""
    cwd = suite(tmp_path, "safety:\n  destructive_targets: []\n")
    result = run("maintenance", "run", "log-rotation", "--force", "--reason", "x", cwd=cwd)
    assert_clean_refusal(result, cwd, "is not in safety.destructive_targets")


def test_a_stopped_sandbox_names_the_fix(tmp_path: Path) -> None:
    """A read-only check against a sandbox that is down: exit 2, how to start it, nothing created."""
    cwd = suite(tmp_path)
    result = run("maintenance", "run", "disk-check", cwd=cwd)
    assert_clean_refusal(result, cwd, "is not running", "opsready sandbox up")
