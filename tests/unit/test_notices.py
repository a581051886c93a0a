"""One helper renders every notice: a closed set of fields, and a clear error for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import UsageError, ValidationError
from opsready.notices import NOT_AVAILABLE, Notices

NOTICES = Notices("release", ("start", "done"), {"service": "orders", "version": "1.2.0", "outcome": "succeeded"})


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """Two valid templates of the 'release' family."""
    NOTICES.template_path(tmp_path, "start").write_text("Deploying {{ version }} of {{ service }}\n")
    NOTICES.template_path(tmp_path, "done").write_text("{{ service }}\n{{ version }}: {{ outcome }}\n")
    return tmp_path


def test_a_notice_renders_with_its_fields(templates: Path) -> None:
    """Each kind lives in '<family>-<kind>.md.j2' and renders the values given."""
    assert NOTICES.template_path(templates, "start").name == "release-start.md.j2"
    assert NOTICES.render(templates, "start", {"service": "api", "version": "2.0"}) == "Deploying 2.0 of api\n"
    NOTICES.check_templates(templates)


def test_a_field_without_a_value_is_named_at_its_line(templates: Path) -> None:
    """Rendering without a value the template uses names that field and the line that uses it."""
    with pytest.raises(ValidationError) as caught:
        NOTICES.render(templates, "done", {"service": "api", "version": "2.0"})
    assert caught.value.message == "no value was given for the field 'outcome' of this notice"
    assert str(caught.value.loc) == f"{NOTICES.template_path(templates, 'done')}:2"


def test_a_placeholder_outside_the_fields_fails_the_template_check(templates: Path) -> None:
    """A template using a field the family does not have fails the check, with a suggestion."""
    NOTICES.template_path(templates, "done").write_text("{{ service }}\n\n{{ outcom }}\n")
    with pytest.raises(ValidationError) as caught:
        NOTICES.check_templates(templates)
    assert caught.value.message.startswith("'outcom' is not a field of release notices (did you mean 'outcome'?)")
    assert caught.value.loc is not None and caught.value.loc.line == 3


def test_a_caller_value_outside_the_fields_is_refused(templates: Path) -> None:
    """The set of fields is closed for callers too: a misspelt key is an error, not silently dropped."""
    with pytest.raises(UsageError, match="not fields of release notices: verison"):
        NOTICES.render(templates, "start", {"service": "api", "verison": "2.0"})


def test_write_says_n_a_for_fields_the_caller_has_no_value_for(templates: Path, tmp_path: Path) -> None:
    """A written notice never shows a sample value as if it were measured."""
    path = NOTICES.write(templates, tmp_path / "out", "done", "drill", {"service": "api"})
    assert path.parent == tmp_path / "out" and path.name.endswith("-drill-done.md")
    assert path.read_text() == f"api\n{NOT_AVAILABLE}: {NOT_AVAILABLE}\n"


def test_unknown_kind_and_missing_template_are_validation_errors(templates: Path, tmp_path: Path) -> None:
    """An unknown kind lists the known ones; a missing file names its path."""
    with pytest.raises(ValidationError, match="known: start, done"):
        NOTICES.render(templates, "later", {})
    with pytest.raises(ValidationError, match="release notice template not found"):
        NOTICES.render(tmp_path / "nowhere", "start", {})
