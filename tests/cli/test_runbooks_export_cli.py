"""`opsready runbooks export` on the command line: its documented exit codes, and bad input as one clear line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, chromium: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if chromium is not None:
        env["OPSREADY_CHROMIUM"] = chromium
    return subprocess.run(
        [sys.executable, "-m", "opsready.cli", "runbooks", "export", "--root", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_without_chromium_the_page_is_written_and_the_pdf_skipped_with_exit_6(tmp_path: Path) -> None:
    """No Chromium: runbooks.html is written, the PDF is reported skipped, exit code 6; --no-pdf makes it 0."""
    result = run(str(tmp_path / "a"), chromium="")
    assert result.returncode == 6, result.stderr
    assert "PDF skipped: chromium is not installed" in result.stdout
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["runbooks.html"]
    result = run(str(tmp_path / "b"), "--no-pdf", chromium="")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / "runbooks.html").is_file()


def test_a_used_directory_is_one_line_exit_2(tmp_path: Path) -> None:
    """A directory with a file in it: `path: message`, exit 2, no traceback, the file untouched."""
    (tmp_path / "notes.txt").write_text("keep me")
    result = run(str(tmp_path), "--no-pdf")
    assert result.returncode == 2
    assert f"{tmp_path}: export directory exists and is not empty" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_broken_link_is_path_line_exit_2(tmp_path: Path) -> None:
    """A runbook linking to a section that does not exist: `path:line: message` and the line, exit 2."""
    suite = tmp_path / "suite"
    shutil.copytree(ROOT / "runbooks", suite / "runbooks")
    runbook = suite / "runbooks" / "rollback.md"
    lines = runbook.read_text().splitlines()
    lines.insert(len(lines) - 1, "See [the steps](deployment.md#no-such-section).")
    runbook.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "opsready.cli", "runbooks", "export", "--root", str(suite), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{runbook}:{len(lines) - 1}: broken internal link 'deployment.md#no-such-section'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
