"""Scenario tags read with pytest-bdd's Gherkin parser: inherited tags, lines, outlines, and parse errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.runbooks import find_feature_files, read_feature

Writer = Callable[[str, str], Path]

FEATURE = """\
@runbook:deployment @slow
Feature: Deployments

  Background:
    Given the sandbox is up

  @runbook:rollback
  Scenario: A bad release is rolled back
    When I deploy "1.3.0-errors"

  Rule: emergencies

    @runbook:emergency-deployment
    Scenario Outline: Emergency deploy of <version>
      When I deploy "<version>" as an emergency

      @runbook:rollback
      Examples:
        | version |
        | 1.2.0   |
"""


def test_scenarios_carry_feature_rule_scenario_and_example_tags(write_feature: Writer) -> None:
    """Each scenario gets its own tags plus those of its feature, rule and examples, each with its line."""
    path = write_feature("deploy.feature", FEATURE)
    first, outline = read_feature(path)
    assert (first.line, first.name, first.keyword, first.feature) == (
        8,
        "A bad release is rolled back",
        "Scenario",
        "Deployments",
    )
    assert [(t.name, t.line) for t in first.tags] == [("runbook:deployment", 1), ("slow", 1), ("runbook:rollback", 7)]
    assert first.runbook_ids == ("deployment", "rollback")
    assert (outline.line, outline.keyword) == (14, "Scenario Outline")
    assert outline.runbook_ids == ("deployment", "emergency-deployment", "rollback")
    assert str(outline) == f"{path}:14 (Scenario Outline: Emergency deploy of <version>)"


def test_scenarios_in_rules_inherit_rule_tags(write_feature: Writer) -> None:
    """A tag on a Rule applies to the scenarios inside it."""
    path = write_feature(
        "rule.feature", "Feature: F\n  @runbook:maintenance\n  Rule: r\n    Scenario: s\n      Given x\n"
    )
    (scenario,) = read_feature(path)
    assert scenario.runbook_ids == ("maintenance",)
    assert scenario.tags[0].line == 2


def test_empty_feature_file_has_no_scenarios(write_feature: Writer) -> None:
    """An empty file (or one with comments only) holds no scenarios and is not an error."""
    assert read_feature(write_feature("empty.feature", "# nothing yet\n")) == ()


def test_parse_error_at_its_line(write_feature: Writer) -> None:
    """A file Gherkin rejects raises a ValidationError at the failing line, without the parser's (l:c) prefix."""
    path = write_feature("bad.feature", "Feature: F\n  Scenario: s\n    Given x\n    | a |\n    | b | c |\n")
    with pytest.raises(ValidationError) as info:
        read_feature(path)
    assert str(info.value.loc) == f"{path}:5"
    assert info.value.message == "cannot parse feature file: inconsistent cell count within the table"


def test_unknown_language_is_a_parse_error(write_feature: Writer) -> None:
    """A '# language:' Gherkin does not know is reported at line 1."""
    path = write_feature("xx.feature", "# language: xx\nFeature: F\n")
    with pytest.raises(ValidationError, match="Language not supported: xx") as info:
        read_feature(path)
    assert info.value.loc is not None
    assert info.value.loc.line == 1


def test_find_feature_files_recurses(write_feature: Writer, features_dir: Path) -> None:
    """Feature files in subdirectories are found, in a stable order; other files are ignored."""
    write_feature("b.feature", "Feature: B\n")
    write_feature("a/c.feature", "Feature: C\n")
    write_feature("notes.txt", "not gherkin")
    assert [p.relative_to(features_dir).as_posix() for p in find_feature_files(features_dir)] == [
        "a/c.feature",
        "b.feature",
    ]
