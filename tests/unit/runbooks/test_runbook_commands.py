"""Runbook commands: found inline and in fenced blocks at their lines, checked against the real click tree (a renamed
option or command is an error at path:line, exit 2), platform markers, runnable-block markers, and the runner's
time limit."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsready.cli.main import cli
from opsready.cli.runbooks import PLATFORM_ONLY
from opsready.runbooks import lint
from opsready.runbooks.commands import extract_commands
from opsready.runbooks.runblocks import run_block

Writer = Callable[[str, str], Path]
TODAY = date(2026, 12, 1)
FEATURE = "@runbook:rollback\nFeature: Rollback\n  Scenario: A bad release is rolled back\n    Given a bad release\n"


def lint_with_cli(runbooks_dir: Path, features_dir: Path) -> list[str]:
    report = lint(runbooks_dir, features_dir, today=TODAY, cli=cli, platform_only=PLATFORM_ONLY)
    return [f"{p.loc}: {p.message}" for p in report.errors]


@pytest.fixture
def marked(good: str) -> str:
    """The good runbook with its sandbox command marked, so it lints clean against the real command tree."""
    return good.replace("`opsready sandbox releases`.", "`opsready sandbox releases` (sandbox only).")


def test_inline_and_fenced_commands_are_found_at_their_lines(write_runbook: Writer, marked: str) -> None:
    """A code span that wraps onto the next line counts at its first line; fenced lines count each; prose not."""
    text = marked.replace(
        "3. Validate: `opsready check post-deploy`.",
        "3. Validate: `opsready check\n   post-deploy`, then:\n\n"
        "   ```sh opsready-run read-only timeout=20s platform=sandbox\n"
        "   opsready sandbox status   # every program RUNNING\n"
        "   opsready sandbox \\\n     releases\n"
        "   ```\n",
    )
    found = extract_commands(write_runbook("rollback.md", text))
    assert not found.problems
    inline = [(c.line, c.text, c.platform) for c in found.commands if c.source == "inline"]
    assert inline == [
        (19, "opsready sandbox releases", "sandbox"),
        (21, 'opsready rollback --reason "..."', None),
        (22, "opsready check post-deploy", None),
    ]
    fenced = [(c.line, c.argv, c.platform) for c in found.commands if c.source == "fenced"]
    assert fenced == [
        (26, ("opsready", "sandbox", "status"), "sandbox"),
        (27, ("opsready", "sandbox", "releases"), "sandbox"),
    ]
    (block,) = found.blocks
    shape = (block.line, block.mode, block.time_limit, block.platform, block.step)
    assert shape == (25, "read-only", 20.0, "sandbox", 3)
    assert len(block.commands) == 2


def test_the_shipped_sample_lints_clean(
    write_runbook: Writer, write_feature: Writer, runbooks_dir: Path, features_dir: Path, marked: str
) -> None:
    """The template runbook, its sandbox command marked, has no command error."""
    write_runbook("rollback.md", marked)
    write_feature("rollback.feature", FEATURE)
    assert lint_with_cli(runbooks_dir, features_dir) == []


@pytest.mark.parametrize(
    "case",
    [
        (
            '`opsready rollback --reason "..."`',
            '`opsready rollback --why "..."`',
            21,
            "`opsready rollback` has no option '--why' (known: --allow-destructive, --config, --reason, --target)",
        ),
        (
            '`opsready rollback --reason "..."`',
            '`opsready rollback --reson "..."`',
            21,
            "`opsready rollback` has no option '--reson' (did you mean '--reason'?)",
        ),
        (
            "`opsready check post-deploy`",
            "`opsready chekc post-deploy`",
            22,
            "`opsready` has no command 'chekc' (did you mean 'check'?)",
        ),
        (
            "`opsready sandbox releases` (sandbox only)",
            "`opsready sandbox release` (sandbox only)",
            19,
            "`opsready sandbox` has no command 'release' (did you mean 'releases'?)",
        ),
        (
            "`opsready check post-deploy`",
            "`opsready check post-deploy now`",
            22,
            "`opsready check` takes 1 argument(s), got 2 (extra: 'now')",
        ),
        (
            "`opsready check post-deploy`",
            "`opsready incident escalation simulate --severity urgent`",
            22,
            "`opsready incident escalation simulate`: 'urgent' is not a choice of --severity",
        ),
        (
            "`opsready sandbox releases` (sandbox only)",
            "`opsready sandbox releases`",
            19,
            "`opsready sandbox releases` exists for the sandbox platform only: mark it so",
        ),
        (
            "`opsready sandbox releases` (sandbox only)",
            "`opsready sandbox releases` (kubernetes only)",
            19,
            "is marked (kubernetes only) but exists for the sandbox platform",
        ),
        (
            "`opsready check post-deploy`",
            "`opsready check post-deploy` (sandbox only)",
            22,
            "`opsready check` is marked (sandbox only) but works on every platform",
        ),
    ],
)
def test_a_wrong_command_is_an_error_at_its_line(
    write_runbook: Writer, write_feature: Writer, marked: str, case: tuple[str, str, int, str]
) -> None:
    """Each kind of broken command is the one error, at the command's own line."""
    old, new, line, message = case
    assert old in marked
    path = write_runbook("rollback.md", marked.replace(old, new))
    feature = write_feature("rollback.feature", FEATURE)
    (error,) = lint_with_cli(path.parent, feature.parent)
    assert error.startswith(f"{path}:{line}: ")
    assert message in error


def test_a_fenced_command_must_be_complete_and_the_block_marker_known(
    write_runbook: Writer, write_feature: Writer, runbooks_dir: Path, features_dir: Path, marked: str
) -> None:
    """In a block a command is meant to be run: a missing argument is an error; so is an unknown block option."""
    text = marked.replace(
        "## Rollback\n",
        "## Rollback\n```sh opsready-run changing\nopsready deploy\n```\n\n```sh opsready-run sometimes\n"
        "opsready gate\n```\n\n```sh opsready-run read-only retries=3\nopsready gate\n```\n",
    )
    path = write_runbook("rollback.md", text)
    write_feature("rollback.feature", FEATURE)
    assert lint_with_cli(runbooks_dir, features_dir) == [
        f"{path}:26: `opsready deploy` needs 1 argument(s), got 0",
        f"{path}:29: 'opsready-run' must be followed by read-only or changing, not 'sometimes'",
        f"{path}:33: unknown runnable-block option 'retries=3' (known: timeout=10s, platform=NAME)",
    ]


def test_the_lint_command_exits_2_with_path_line(
    write_runbook: Writer, write_feature: Writer, tmp_path: Path, marked: str
) -> None:
    """`opsready runbooks lint` reports a renamed option at path:line and exits 2, without a traceback."""
    path = write_runbook("rollback.md", marked.replace("--reason", "--reasons"))
    write_feature("rollback.feature", FEATURE)
    result = CliRunner().invoke(cli, ["runbooks", "lint", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{path}:21: `opsready rollback` has no option '--reasons'" in result.output
    assert "Traceback" not in result.output


def test_a_hung_block_is_killed_at_its_time_limit(write_runbook: Writer, tmp_path: Path, marked: str) -> None:
    """The runner kills a command still running when the block's time is spent, and names the block and command."""
    block_text = "```sh opsready-run read-only timeout=0.5s\nopsready gate\n```\n"
    text = marked.replace("## Rollback\n", f"## Rollback\n{block_text}")
    (block,) = extract_commands(write_runbook("rollback.md", text)).blocks
    hang = (sys.executable, "-c", "import time; time.sleep(60)")
    started = time.monotonic()
    run = run_block(block, tmp_path, opsready=hang)
    assert time.monotonic() - started < 5
    assert run.outcome == "timed_out"
    assert str(run).startswith(f"{block.path}:25: read-only block timed out after 0.5 s and was killed")
    assert "`opsready gate` (line 26)" in str(run)


def test_a_failing_command_fails_its_block(write_runbook: Writer, tmp_path: Path, marked: str) -> None:
    """A command that exits non-zero stops the block; the report names the line, exit code and last output line."""
    block_text = "```sh opsready-run read-only\nopsready gate\nopsready gate\n```\n"
    text = marked.replace("## Rollback\n", f"## Rollback\n{block_text}")
    (block,) = extract_commands(write_runbook("rollback.md", text)).blocks
    fail = (sys.executable, "-c", "import sys; print('first'); print('it broke'); sys.exit(3)")
    run = run_block(block, tmp_path, opsready=fail)
    assert run.outcome == "failed"
    assert str(run) == f"{block.path}:25: `opsready gate` (line 26) exited 3: it broke"


def test_the_shipped_runbooks_name_only_commands_that_exist() -> None:
    """What `opsready runbooks lint` checks on every run of the gate: no runbook here names a broken command."""
    root = Path(__file__).resolve().parents[3]
    report = lint(root / "runbooks", root / "features", cli=cli, platform_only=PLATFORM_ONLY)
    assert [str(p) for p in report.errors] == []


def test_runbooks_run_skips_other_platforms_and_reports_a_slow_block(write_runbook: Writer, tmp_path: Path) -> None:
    """`opsready runbooks run FILE`: a block for another platform is skipped, one passes, one over its limit is
    killed and reported at its path:line; exit code 2."""
    blocks = (
        "```sh opsready-run read-only platform=kubernetes\nopsready --version\n```\n\n"
        "```sh opsready-run read-only\nopsready --version\n```\n\n"
        "```sh opsready-run read-only timeout=0.01s\nopsready --version\n```\n"
    )
    path = write_runbook("notes.md", blocks)
    config = tmp_path / "opsready.yaml"
    config.write_text(f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {tmp_path / 'state'}\n")
    result = CliRunner().invoke(cli, ["runbooks", "run", str(path), "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert f"{path}:1: skipped (kubernetes only; target 'sandbox' is sandbox)" in result.output
    assert f"{path}:5: read-only block passed in" in result.output
    assert f"{path}:9: read-only block timed out after 0.01 s and was killed" in result.output
    assert "1 of 2 read-only block(s) passed, 1 skipped" in result.output
    assert not (tmp_path / "state").exists()  # nothing started the target
