"""Parsing runbooks: front matter fields, sections, steps and contacts, and front matter errors at their real line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.runbooks import load_runbooks, parse_runbook, runbook_index

Writer = Callable[[str, str], Path]


def error_of(path: Path) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_runbook(path)
    return info.value


def test_parses_front_matter_fields(write_runbook: Writer, good: str) -> None:
    """Every front matter field is typed; review_every defaults to 90 days; severity is optional."""
    runbook = parse_runbook(write_runbook("rollback.md", good))
    assert runbook.id == "rollback"
    assert runbook.title == "Roll back a release"
    assert runbook.owner == "platform-operations"
    assert runbook.last_reviewed == date(2026, 11, 27)
    assert runbook.review_every == 90 * 86400
    assert runbook.review_due == date(2027, 2, 25)
    assert runbook.category == "rollback"
    assert runbook.severity is None
    assert runbook.target("rollback_within") == 300.0
    assert runbook.target("detect_within") is None
    assert runbook.experiments == ()
    assert str(runbook.loc()) == f"{runbook.path}:2"
    assert str(runbook.loc("last_reviewed")) == f"{runbook.path}:5"


def test_parses_sections_steps_and_contacts(write_runbook: Writer, good: str) -> None:
    """Sections keep their start line; steps are (number, text, line); contacts are role and who."""
    runbook = parse_runbook(write_runbook("rollback.md", good))
    assert runbook.heading == "Roll back a release"
    assert [(s.name, s.line) for s in runbook.sections] == [
        ("Overview", 12),
        ("Prerequisites", 15),
        ("Steps", 18),
        ("Rollback", 24),
        ("Contacts", 27),
    ]
    assert [(s.number, s.line) for s in runbook.steps] == [(1, 19), (2, 21), (3, 22)]
    assert runbook.steps[0].text == "Check the release history: `opsready sandbox releases`."
    steps = runbook.section("STEPS")
    assert steps is not None
    assert "Expected outcome" in steps.text
    primary = runbook.contact("primary")
    assert primary is not None
    assert (primary.role, primary.who, primary.line) == ("Primary (on-call engineer)", "[ON-CALL NAME]", 28)


def test_optional_fields(write_runbook: Writer, good: str) -> None:
    """severity, review_every and experiments are read when written."""
    text = good.replace(
        "category: rollback\n",
        "category: rollback\nseverity: critical\nreview_every: 30 days\nexperiments:\n  - db-latency\n",
    )
    runbook = parse_runbook(write_runbook("rollback.md", text))
    assert (runbook.severity, runbook.review_every, runbook.experiments) == ("critical", 30 * 86400, ("db-latency",))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("category: rollback\n", "category: rollback\ncolour: red\n"), (7, "unknown key 'colour'")),
        (("rollback_within: 5 minutes", "rollback_within: 5 fortnights"), (8, "unknown unit 'fortnights'")),
        (("last_reviewed: 2026-11-27", "last_reviewed: 2026-13-27"), (5, "bad date")),
        (("last_reviewed: 2026-11-27", "last_reviewed: last tuesday"), (5, "must be a date like 2026-11-27")),
        (("last_reviewed: 2026-11-27", "last_reviewed: 2026-11-27 10:00:00"), (5, "without a time")),
        (("id: rollback\n", ""), (2, "missing required key 'id'")),
        (("id: rollback", "id: Roll_Back"), (2, "must be kebab-case")),
        (("category: rollback", "category: rollbak"), (6, "did you mean 'rollback'")),
        (("category: rollback\n", "category: rollback\nseverity: urgent\n"), (7, "must be one of critical")),
        (("category: rollback\n", "category: rollback\nverified_by: [x]\n"), (7, "derived from scenarios tagged")),
        (("category: rollback\n", "category: rollback\nreview_every: 90 dayz\n"), (7, "unknown unit 'dayz'")),
        (("  rollback_within", "  Rollback-Within"), (8, "snake_case")),
        (("title: Roll back a release", "title: Roll: back"), (3, "invalid YAML")),
    ],
)
def test_front_matter_errors_carry_the_line_in_the_md_file(
    write_runbook: Writer, good: str, edit: tuple[str, str], expected: tuple[int, str]
) -> None:
    """A front matter mistake is reported at the line of the .md file where it was written."""
    line, message = expected
    path = write_runbook("rollback.md", good.replace(*edit))
    error = error_of(path)
    assert str(error.loc) == f"{path}:{line}"
    assert message in error.message


def test_missing_front_matter(write_runbook: Writer, good: str) -> None:
    """A file without leading '---' is reported at line 1."""
    path = write_runbook("rollback.md", good.split("---\n", 2)[2])
    error = error_of(path)
    assert str(error.loc) == f"{path}:1"
    assert "front matter" in error.message


def test_unclosed_front_matter(write_runbook: Writer, good: str) -> None:
    """Front matter without its closing '---' is reported at line 1."""
    path = write_runbook("rollback.md", good.replace("---\n# Roll back", "# Roll back"))
    error = error_of(path)
    assert str(error.loc) == f"{path}:1"
    assert "not closed" in error.message


def test_empty_front_matter(write_runbook: Writer) -> None:
    """Empty front matter is reported at the opening '---'."""
    path = write_runbook("empty.md", "---\n---\n# Nothing\n")
    error = error_of(path)
    assert str(error.loc) == f"{path}:1"
    assert "must be a mapping" in error.message


def test_body_error_raised_by_parse_runbook(write_runbook: Writer, good: str) -> None:
    """parse_runbook is strict: a template problem in the body is raised too."""
    path = write_runbook("rollback.md", good.replace("## Rollback\n", "## Undo\n"))
    error = error_of(path)
    assert str(error.loc) == f"{path}:27"
    assert "missing required section '## Rollback'" in error.message


def test_load_runbooks_reads_subdirectories_and_skips_readme(
    write_runbook: Writer, good: str, runbooks_dir: Path
) -> None:
    """Runbooks in subdirectories are found; README.md is documentation, not a runbook."""
    write_runbook("rollback.md", good)
    write_runbook("incident/db-down.md", good.replace("id: rollback", "id: db-down"))
    write_runbook("README.md", "# Runbooks\n")
    assert [r.id for r in load_runbooks(runbooks_dir)] == ["db-down", "rollback"]
    index = runbook_index(runbooks_dir)
    assert sorted(index) == ["db-down", "rollback"]
    assert index["db-down"].path.endswith("incident/db-down.md")
    assert runbook_index(load_runbooks(runbooks_dir))["rollback"].category == "rollback"


def test_load_runbooks_raises_the_first_error(write_runbook: Writer, good: str, runbooks_dir: Path) -> None:
    """load_runbooks raises the first ValidationError it meets, with its location."""
    write_runbook("a.md", good.replace("id: rollback", "id: a"))
    bad = write_runbook("b.md", good.replace("owner: platform-operations", "owner: ''"))
    with pytest.raises(ValidationError) as info:
        load_runbooks(runbooks_dir)
    assert str(info.value.loc) == f"{bad}:4"


def test_duplicate_id_raised_at_the_second(write_runbook: Writer, good: str, runbooks_dir: Path) -> None:
    """Two runbooks with one id: the second one is reported, naming where the first is."""
    first = write_runbook("a.md", good)
    second = write_runbook("b.md", good)
    with pytest.raises(ValidationError) as info:
        runbook_index(runbooks_dir)
    assert str(info.value.loc) == f"{second}:2"
    assert f"first defined at {first}:2" in info.value.message


def test_missing_directory(tmp_path: Path) -> None:
    """A runbooks directory that does not exist is a ValidationError naming it."""
    with pytest.raises(ValidationError, match="runbooks directory not found"):
        load_runbooks(tmp_path / "nope")
