"""One table of exit codes: each code has one meaning, every command exits through the table (no bare number in
src/opsready/cli/), and docs/exit-codes.md and the README show the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsready import errors, exitcodes
from opsready.cli.gate import exit_code

REPO = Path(__file__).resolve().parents[2]


def test_each_code_has_one_name_and_one_meaning() -> None:
    """No code twice, no meaning twice."""
    codes = [row.code for row in exitcodes.TABLE]
    assert len(codes) == len(set(codes))
    assert len({row.meaning for row in exitcodes.TABLE}) == len(codes)
    assert (exitcodes.OK, exitcodes.NOT_READY, exitcodes.BAD_INPUT) == (0, 1, 2)
    assert (exitcodes.INCONCLUSIVE, exitcodes.REFUSED, exitcodes.MANUAL, exitcodes.INCOMPLETE) == (3, 4, 5, 6)
    assert exitcodes.INTERRUPTED == 130 and exitcodes.by_signal(15) == 143


def test_errors_exit_by_the_table() -> None:
    """A user error or an unready machine is BAD_INPUT, a refusal REFUSED, a misbehaving target NOT_READY."""
    assert errors.UsageError("x").exit_code == errors.EnvironmentProblem("x").exit_code == exitcodes.BAD_INPUT
    assert errors.Refused("x").exit_code == exitcodes.REFUSED
    assert errors.DeployError("x").exit_code == exitcodes.NOT_READY


def test_no_command_exits_with_a_bare_number() -> None:
    """Every sys.exit in src/opsready/cli/ names a code of the table (or an error's own exit_code)."""
    bare = re.compile(r"sys\.exit\(\s*\d|returncode=\s*\d|^\s*EXIT_\w+\s*=|=\s*\d+\s*#.*exit code", re.MULTILINE)
    found = {
        path.name: bare.findall(path.read_text(encoding="utf-8"))
        for path in (REPO / "src" / "opsready" / "cli").glob("*.py")
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


@pytest.mark.parametrize("page", ["docs/exit-codes.md", "README.md"])
def test_the_docs_show_the_same_table(page: str) -> None:
    """The Markdown table is generated from the module; the page carries it verbatim."""
    assert exitcodes.markdown_table() in (REPO / page).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("pytest_code", "report", "expected"),
    [
        (0, {"verdict": "ready"}, exitcodes.OK),
        (0, {"verdict": "ready", "score": {"meets_minimum": False}}, exitcodes.NOT_READY),
        (1, {"verdict": "not ready"}, exitcodes.NOT_READY),
        (0, None, exitcodes.NOT_READY),
        (4, None, exitcodes.BAD_INPUT),  # pytest's usage error
        (2, None, exitcodes.INTERRUPTED),  # pytest's "interrupted": 130, no longer the bad-input code
    ],
)
def test_the_gate_maps_pytest_and_the_verdict_onto_the_table(
    pytest_code: int, report: dict[str, object] | None, expected: int
) -> None:
    """The gate follows the report's verdict; pytest's own codes only for usage errors and interruptions."""
    assert exit_code(pytest_code, report) == expected
