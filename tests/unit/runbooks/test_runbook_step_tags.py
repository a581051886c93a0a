"""Step tags ``@runbook:<id>:<step>``: parsed, linted at the tag's line, and runbooks turned into report data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from opsready.results import RunbookStep
from opsready.runbooks import LintReport, Tag, lint, read_feature, runbook_infos

Writer = Callable[[str, str], Path]
Linter = Callable[[str], tuple[Path, LintReport]]
TODAY = date(2026, 12, 1)
FEATURE = """\
@runbook:rollback
Feature: Rollback

  @runbook:rollback:2 @runbook:rollback:3
  Scenario: Roll back by hand
    Given a bad release

  @runbook:rollback:{step}
  Scenario: Another drill
    Given a bad release
"""


@pytest.mark.parametrize(
    ("name", "runbook_id", "step", "step_text"),
    [
        ("runbook:rollback", "rollback", None, None),
        ("runbook:rollback:3", "rollback", 3, "3"),
        ("runbook:rollback:x", "rollback", None, "x"),
        ("runbook:rollback:0", "rollback", None, "0"),
        ("runbook:rollback:", "rollback", None, ""),
        ("gate", None, None, None),
    ],
)
def test_tags_name_a_runbook_and_maybe_a_step(
    name: str, runbook_id: str | None, step: int | None, step_text: str | None
) -> None:
    """The id is what comes before a second colon; the step must be a positive number."""
    tag = Tag(name, 1)
    assert (tag.runbook_id, tag.runbook_step, tag.step_text) == (runbook_id, step, step_text)


def test_scenarios_list_their_steps(write_feature: Writer) -> None:
    """A scenario's step tags give (runbook, step) pairs; the runbook link stays without repeats."""
    path = write_feature("rollback.feature", FEATURE.format(step="1"))
    first, second = read_feature(path)
    assert first.runbook_ids == ("rollback",)
    assert first.runbook_steps == (("rollback", 2), ("rollback", 3))
    assert second.runbook_steps == (("rollback", 1),)


@pytest.fixture
def lint_feature(
    write_runbook: Writer, write_feature: Writer, good: str, runbooks_dir: Path, features_dir: Path
) -> Linter:
    """Write the good three-step runbook 'rollback' and a feature, and lint the set."""

    def run(feature: str) -> tuple[Path, LintReport]:
        write_runbook("rollback.md", good)
        path = write_feature("rollback.feature", feature)
        return path, lint(runbooks_dir, features_dir, today=TODAY)

    return run


def test_existing_steps_pass_the_lint(lint_feature: Linter) -> None:
    """Tags naming steps 1-3 of a three-step runbook are fine."""
    _, report = lint_feature(FEATURE.format(step="1"))
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("7", "tag '@runbook:rollback:7' names step 7, but runbook 'rollback' has steps 1-3"),
        ("two", "tag '@runbook:rollback:two': the step must be a step number, as in '@runbook:rollback:3'"),
        ("0", "tag '@runbook:rollback:0': the step must be a step number, as in '@runbook:rollback:3'"),
    ],
)
def test_a_step_that_does_not_exist_is_an_error_at_the_tag(lint_feature: Linter, step: str, message: str) -> None:
    """The error names the feature file and the tag's line (8), and what the runbook has."""
    path, report = lint_feature(FEATURE.format(step=step))
    assert [(str(p.loc), p.message) for p in report.errors] == [(f"{path}:8", message)]


def test_a_step_tag_of_an_unknown_runbook_names_the_runbook(lint_feature: Linter) -> None:
    """'@runbook:nope:1' is reported as naming no runbook, like '@runbook:nope'."""
    path, report = lint_feature(FEATURE.format(step="1").replace("rollback:3", "nope:1"))
    assert [(str(p.loc), p.message) for p in report.errors] == [
        (f"{path}:4", "tag '@runbook:nope:1' names no runbook (known ids: rollback)")
    ]


def test_runbook_infos_for_reports(write_runbook: Writer, good: str, runbooks_dir: Path) -> None:
    """Readable runbooks become id, title, category, path and steps; a broken one is left out, not raised."""
    path = write_runbook("rollback.md", good)
    write_runbook("broken.md", "---\nid: broken\n---\n# nothing\n")
    (info,) = runbook_infos(runbooks_dir)
    assert (info.id, info.title, info.category, info.path) == ("rollback", "Roll back a release", "rollback", str(path))
    assert info.steps == (
        RunbookStep(1, "Check the release history: `opsready sandbox releases`."),
        RunbookStep(2, 'Roll back: `opsready rollback --reason "..."`.'),
        RunbookStep(3, "Validate: `opsready check post-deploy`."),
    )
    assert runbook_infos(runbooks_dir / "missing") == ()


def test_the_shipped_features_name_existing_steps() -> None:
    """features/deployment.feature and rollback.feature tag real steps of the shipped runbooks."""
    root = Path(__file__).resolve().parents[3]
    scenarios = [s for name in ("deployment", "rollback") for s in read_feature(root / "features" / f"{name}.feature")]
    pairs = {pair for s in scenarios for pair in s.runbook_steps}
    assert {("deployment", 1), ("deployment", 3), ("rollback", 4), ("emergency-deployment", 7)} <= pairs
    steps = {r.id: {s.number for s in r.steps} for r in runbook_infos(root / "runbooks")}
    assert all(step in steps[rid] for rid, step in pairs), pairs
