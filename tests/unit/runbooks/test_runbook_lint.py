"""Linting runbooks: every error at its exact path:line, the stale warning, a clean set, and the coverage mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from opsready.runbooks import LintReport, lint

Writer = Callable[[str, str], Path]
TODAY = date(2026, 12, 1)
FEATURE = """\
@runbook:rollback
Feature: Rollback
  Scenario: A bad release is rolled back
    Given a bad release
"""


def run(runbooks_dir: Path, features_dir: Path, today: date = TODAY) -> LintReport:
    return lint(runbooks_dir, features_dir, today=today)


def only_error(report: LintReport) -> tuple[str, str]:
    assert len(report.errors) == 1, [str(p) for p in report.problems]
    problem = report.errors[0]
    return str(problem.loc), problem.message


@pytest.fixture
def lint_text(
    write_runbook: Writer, runbooks_dir: Path, features_dir: Path
) -> Callable[[str], tuple[Path, LintReport]]:
    """Write one runbook as rollback.md and lint the set."""

    def write_and_lint(text: str) -> tuple[Path, LintReport]:
        path = write_runbook("rollback.md", text)
        return path, run(runbooks_dir, features_dir)

    return write_and_lint


@pytest.fixture
def verified(write_feature: Writer) -> Path:
    """A feature that verifies the runbook 'rollback'."""
    return write_feature("rollback.feature", FEATURE)


@pytest.mark.usefixtures("verified")
def test_clean_set_passes(write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path) -> None:
    """A good runbook verified by a scenario: no problems at all."""
    write_runbook("rollback.md", good)
    report = run(runbooks_dir, features_dir)
    assert report.problems == ()
    assert report.ok
    assert [r.id for r in report.runbooks] == ["rollback"]


@pytest.mark.usefixtures("verified")
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("id: rollback\n", ""), (2, "missing required key 'id'")),
        (("category: rollback\n", "category: rollback\ncolour: red\n"), (7, "unknown key 'colour'")),
        (("5 minutes", "5 lightyears"), (8, "bad duration")),
        (("last_reviewed: 2026-11-27", "last_reviewed: 2026-02-30"), (5, "bad date")),
        (("last_reviewed: 2026-11-27", "last_reviewed: 2027-01-01"), (5, "is in the future")),
        (("## Rollback\n", "## Undo\n"), (27, "missing required section '## Rollback' (it goes before '## Contacts')")),
        (("## Contacts\n", "## People\n"), (29, "missing required section '## Contacts'")),
        (("## Overview\n", "## Summary\n"), (15, "missing required section '## Overview'")),
        (("3. Validate", "2. Validate"), (22, "step numbered 2, expected 3")),
        (("3. Validate", "- Validate"), (22, "must be a numbered list")),
        (("3. Validate", "\nValidate"), (23, "must be indented under a step")),
        (("- Escalation (team lead)", "- Backup (team lead)"), (27, "must name an escalation contact")),
        (("- Primary (on-call engineer)", "- Someone"), (27, "must name a primary contact")),
    ],
)
def test_each_error_at_its_line(
    lint_text: Callable[[str], tuple[Path, LintReport]], good: str, edit: tuple[str, str], expected: tuple[int, str]
) -> None:
    """Each mistake is one error, at the line it was made (or where the missing part belongs)."""
    line, message = expected
    path, report = lint_text(good.replace(*edit))
    if edit[0] == "id: rollback\n":  # without its id, the runbook no longer claims the scenario's tag
        assert [p.message for p in report.errors if p.loc.path != str(path)] == [
            "tag '@runbook:rollback' names no runbook (known ids: none)"
        ]
        report = LintReport(tuple(p for p in report.problems if p.loc.path == str(path)), report.coverage)
    where, text = only_error(report)
    assert where == f"{path}:{line}"
    assert message in text


@pytest.mark.usefixtures("verified")
def test_sections_out_of_order(write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path) -> None:
    """Steps written before Prerequisites: reported at the section that comes too late."""
    text = good.replace("## Prerequisites\n- Access to the target\n\n", "")
    text = text.replace("## Rollback\n", "## Prerequisites\n- Access to the target\n\n## Rollback\n")
    path = write_runbook("rollback.md", text)
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{path}:21"
    assert "'## Prerequisites' is out of order: it must come before '## Steps'" in message


@pytest.mark.usefixtures("verified")
def test_steps_without_any_numbered_item(
    write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A Steps section of prose only is reported at its heading."""
    text = (
        good.split("## Steps\n", maxsplit=1)[0]
        + "## Steps\nJust do it.\n\n"
        + good.split("3. Validate: `opsready check post-deploy`.\n")[1]
    )
    path = write_runbook("rollback.md", text)
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{path}:18"
    assert "'## Steps' must be a numbered list" in message


@pytest.mark.usefixtures("verified")
def test_headings_in_code_blocks_do_not_count(
    write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A '## Contacts' inside a fenced block is text, not a section."""
    text = good.replace("## Overview\n", "## Overview\n```markdown\n## Contacts\n```\n")
    write_runbook("rollback.md", text)
    assert run(runbooks_dir, features_dir).problems == ()


@pytest.mark.usefixtures("verified")
def test_duplicate_ids(write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path) -> None:
    """Two runbooks with one id: the second is an error naming the first."""
    first = write_runbook("a.md", good)
    second = write_runbook("b/rollback.md", good)
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{second}:2"
    assert message == f"duplicate runbook id 'rollback' (first defined at {first}:2)"


def test_runbook_verified_by_no_scenario(
    write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A runbook no scenario is tagged for is an error at its id."""
    path = write_runbook("rollback.md", good)
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{path}:2"
    assert "verified by no scenario (tag one with @runbook:rollback)" in message


@pytest.mark.usefixtures("verified")
def test_tag_naming_no_runbook(
    write_runbook: Writer, write_feature: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A @runbook: tag with an unknown id is an error at the tag's line, once even when it applies to many."""
    write_runbook("rollback.md", good)
    feature = write_feature(
        "sub/other.feature",
        "Feature: Other\n  Rule: r\n\n    @smoke @runbook:rollbak\n    Scenario: one\n      Given x\n\n"
        "    Scenario: two\n      Given y\n",
    )
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{feature}:4"
    assert "tag '@runbook:rollbak' names no runbook (known ids: rollback)" in message


@pytest.mark.usefixtures("verified")
def test_feature_level_unknown_tag_reported_once(
    write_runbook: Writer, write_feature: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A feature-level tag applies to every scenario but is reported once, at its own line."""
    write_runbook("rollback.md", good)
    feature = write_feature(
        "x.feature", "@runbook:nope\nFeature: X\n  Scenario: a\n    Given x\n  Scenario: b\n    Given y\n"
    )
    assert [str(p.loc) for p in run(runbooks_dir, features_dir).errors] == [f"{feature}:1"]


@pytest.mark.usefixtures("verified")
def test_unparsable_feature_file(
    write_runbook: Writer, write_feature: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """A feature file Gherkin rejects is an error at the failing line."""
    write_runbook("rollback.md", good)
    feature = write_feature("broken.feature", "Feature: Broken\n  Scenario: a\n    Given x\n  @dangling\n")
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{feature}:5"
    assert message.startswith("cannot parse feature file: unexpected end of file")


@pytest.mark.usefixtures("verified")
def test_stale_review_is_a_warning(write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path) -> None:
    """last_reviewed older than review_every: a warning at last_reviewed; the lint still passes."""
    path = write_runbook(
        "rollback.md", good.replace("category: rollback\n", "category: rollback\nreview_every: 30 days\n")
    )
    report = run(runbooks_dir, features_dir, today=date(2026, 12, 28))
    assert report.ok
    assert [str(p) for p in report.warnings] == [
        f"{path}:5: warning: runbook 'rollback' is stale: last reviewed 2026-11-27, "
        "reviews are due every 30 days (due 2026-12-27)"
    ]
    assert run(runbooks_dir, features_dir, today=date(2026, 12, 27)).problems == ()


def test_broken_front_matter_still_claims_its_id(
    write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path, verified: Path
) -> None:
    """A runbook with a front matter error is reported once; the scenarios tagged with its id are not dangling."""
    path = write_runbook("rollback.md", good.replace("owner: platform-operations", "owner: [x]"))
    where, message = only_error(run(runbooks_dir, features_dir))
    assert where == f"{path}:4"
    assert "'owner' must be a string" in message


def test_body_and_front_matter_problems_together(
    write_runbook: Writer, good: str, runbooks_dir: Path, features_dir: Path, verified: Path
) -> None:
    """The lint reports the front matter error and every body problem of one file, in line order."""
    text = good.replace("category: rollback", "category: oops").replace("## Rollback\n", "## Undo\n")
    path = write_runbook("rollback.md", text)
    report = run(runbooks_dir, features_dir)
    assert [str(p.loc) for p in report.errors] == [f"{path}:6", f"{path}:27"]


def test_coverage_maps_runbooks_to_scenarios(
    write_runbook: Writer, write_feature: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> None:
    """Coverage lists, per runbook, every scenario tagged for it: feature-level tags, rules and outlines included."""
    write_runbook("rollback.md", good)
    write_runbook("deployment.md", good.replace("id: rollback", "id: deployment"))
    feature = write_feature(
        "deploy.feature",
        "@runbook:deployment\nFeature: Deploy\n"
        "  Scenario: plain deploy\n    Given x\n\n"
        "  @runbook:rollback\n  Scenario Outline: bad release <v>\n    Given <v>\n\n"
        "    Examples:\n      | v |\n      | 1 |\n",
    )
    report = run(runbooks_dir, features_dir)
    assert report.ok, [str(p) for p in report.problems]
    coverage = {rid: [(str(ref.loc), ref.name) for ref in refs] for rid, refs in report.coverage}
    assert coverage == {
        "deployment": [(f"{feature}:3", "plain deploy"), (f"{feature}:7", "bad release <v>")],
        "rollback": [(f"{feature}:7", "bad release <v>")],
    }
    assert [ref.keyword for ref in report.verified_by("rollback")] == ["Scenario Outline"]
    assert report.verified_by("nope") == ()


def test_missing_directories(tmp_path: Path) -> None:
    """Missing runbooks and features directories are errors, not crashes."""
    report = run(tmp_path / "runbooks", tmp_path / "features")
    assert [p.message for p in report.errors] == ["features directory not found", "runbooks directory not found"]
