"""``opsready runbooks``: lint runbooks and their links to the scenarios that verify them; export them for reading
without a network."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from opsready.cli.common import config_option, err, handle_errors, load, out

# Commands that exist for one platform only (a runbook must mark them, e.g. `opsready sandbox releases` (sandbox only)):
# `opsready sandbox` manages disposable targets, which only the sandbox platform provides.
PLATFORM_ONLY = {"sandbox": "sandbox"}


def run_lint(root: Path, strict: bool = False) -> bool:
    """Lint runbooks/ against features/ under ``root``; print problems; True when there is no error (``strict``:
    placeholders left to fill in are errors)."""
    from opsready.runbooks import lint

    context = click.get_current_context(silent=True)
    tree = context.find_root().command if context is not None else None
    report = lint(root / "runbooks", root / "features", cli=tree, platform_only=PLATFORM_ONLY, strict=strict)
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{colour}]{problem.severity}[/{colour}]: {problem.loc}: {problem.message}")
    for runbook_id, scenarios in report.coverage:
        out.print(f"{runbook_id}: verified by {len(scenarios)} scenario(s)")
    return report.ok


@click.group()
def runbooks() -> None:
    """Work with the runbooks in runbooks/."""


@runbooks.command()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="Suite directory holding runbooks/ and features/.",
)
@click.option("--strict", is_flag=True, help="Placeholders left to fill in ([FILL IN: ...]) are errors, not warnings.")
@handle_errors
def lint(root: Path, strict: bool) -> None:
    """Check structure, front matter and review dates, that every runbook is verified by a scenario
    (@runbook:<id> tags) and every tag names a runbook, and that every `opsready` command a runbook names exists
    (subcommands, options, arguments) and is marked when it exists for one platform only. Placeholders left to fill
    in (`[FILL IN: ...]`, as `opsready init` writes them) are warnings, errors with --strict. Exit code 2 on any
    error."""
    if not run_lint(root, strict):
        sys.exit(2)


@runbooks.command("run")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_option
@handle_errors
def run_read_only(files: tuple[Path, ...], config_path: Path | None, target_name: str | None) -> None:
    """Run the runbooks' read-only blocks (```sh opsready-run read-only```) against the target, each within its
    time limit; blocks for another platform are skipped. Changing blocks are never run here: drills rehearse them.
    FILES: only these runbooks (default: every one under runbooks/). Exit code 2 when a block fails or hangs."""
    import os

    from opsready.runbooks.cmdlint import all_blocks
    from opsready.runbooks.commands import extract_commands
    from opsready.runbooks.runblocks import run_block

    config = load(config_path)
    target = config.target(target_name)
    if files:
        blocks = tuple(b for path in files for b in extract_commands(path).blocks)
    else:
        blocks = all_blocks(config.root / "runbooks")
    env = {**os.environ, "OPSREADY_CONFIG": str(config.path)}
    ran = failed = skipped = 0
    for block in blocks:
        if block.mode != "read-only":
            continue
        if block.platform not in (None, target.platform):
            out.print(f"{block.loc()}: skipped ({block.platform} only; target '{target.name}' is {target.platform})")
            skipped += 1
            continue
        result = run_block(block, config.root, env)
        ran, failed = ran + 1, failed + (not result.ok)
        (out if result.ok else err).print(str(result), markup=False)
    out.print(f"{ran - failed} of {ran} read-only block(s) passed, {skipped} skipped")
    if failed:
        err.print(f"[red]error[/red]: {failed} read-only block(s) failed")
        sys.exit(2)


@runbooks.command()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="Suite directory holding runbooks/, features/ and reports/.",
)
@click.option(
    "--history",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("reports/history.jsonl"),
    show_default=True,
    help="Run history (relative to --root).",
)
@click.option(
    "--reviews",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports/reviews"),
    show_default=True,
    help="Post-incident review drafts (relative to --root).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Accuracy window: a step counts as verified by a passing scenario this many days back.",
)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Report as of this day.")
@click.option("--details/--no-details", default=True, show_default=True, help="List the evidence line by line.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@handle_errors
def report(
    *, root: Path, history: Path, reviews: Path, days: int, today: datetime | None, details: bool, as_json: bool
) -> None:
    """The story's runbook quality metrics: completeness, accuracy, usability, currency, mean time to recovery,
    procedure adherence, training effectiveness, continuous improvement (formulas: docs/reports.md). A metric
    without data says so. Exit code 2 on a bad runbooks/coverage.yaml."""
    from opsready.drills.quality import QualitySources, checked_commands, measure, quality_dict, quality_lines

    day = today.date() if today is not None else datetime.now(tz=UTC).date()
    commands = checked_commands(root / "runbooks", click.get_current_context().find_root().command, PLATFORM_ONLY)
    result = measure(QualitySources(root, history, reviews, days), day, strict=True, commands=commands)
    if as_json:
        out.print_json(json.dumps(quality_dict(result)))
        return
    for line in quality_lines(result, details):
        out.print(line, markup=False)


# exit code of an export whose page was written but whose PDF was not, because no Chromium is installed
PDF_SKIPPED = 3


@runbooks.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="Suite directory holding runbooks/.",
)
@click.option("--weeks", type=click.IntRange(1, 52), default=4, show_default=True, help="How far ahead the rota goes.")
@click.option("--no-pdf", is_flag=True, help="Write the page only (exit 0 without Chromium).")
@handle_errors
def export_cmd(directory: Path, root: Path, weeks: int, no_pdf: bool) -> None:
    """Write DIRECTORY/runbooks.html (every runbook, the severity table, escalation contacts and rota, the
    troubleshooting tree as a diagram, an offline search; no network needed) and runbooks.pdf printed by headless
    Chromium. DIRECTORY must be new or empty. Exit 2 on a broken internal link or any input mistake (nothing
    written), 3 when the page was written but the PDF skipped because Chromium is not installed."""
    from datetime import UTC, datetime

    from opsready.drills.export import export

    done = export(root, directory, datetime.now(tz=UTC), weeks=weeks, pdf=not no_pdf)
    size = done.html.stat().st_size / 1024
    out.print(f"{done.html}: {done.pages} pages, {size:.0f} KiB in {done.html_seconds:.2f} s", markup=False)
    if done.pdf is not None:
        pdf_size = done.pdf.stat().st_size / 1024
        out.print(f"{done.pdf}: {pdf_size:.0f} KiB in {done.pdf_seconds:.1f} s", markup=False)
        return
    out.print(f"PDF skipped: {done.skipped}", markup=False)
    if not no_pdf:
        sys.exit(PDF_SKIPPED)
