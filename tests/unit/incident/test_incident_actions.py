"""Action items across review drafts: open and done items, owners inline or from the heading, due dates, and
sections people still have to complete."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.incident.actions import open_items, read_review, read_reviews

INCIDENT = """# Post-incident review (draft): X

## Summary

> **TO COMPLETE** (incident owner): what happened.

```text
- [ ] not an item: inside a code block
```

## Action items

- [ ] Review runbook `x` (owner: platform-operations, due: 2026-12-04)
- [x] Fix the alert (owner: dana, due: 2026-11-30)
- [ ] Something without an owner

> **TO COMPLETE** (team): add your own.
"""

EMERGENCY = """# Follow-up review: emergency deployment of 1.1.0

## To complete (owner: release manager, within 2 working days)
- [ ] Was the emergency path justified?
- [ ] Run the skipped checks now: `opsready check post-deploy`
"""


def test_items_owners_due_dates_and_sections_to_complete(tmp_path: Path) -> None:
    """Inline owners and due dates are read; fenced text is not an item; TO COMPLETE markers are counted."""
    path = tmp_path / "review-x.md"
    path.write_text(INCIDENT)
    review = read_review(path)
    assert [(i.owner, i.due, i.done) for i in review.items] == [
        ("platform-operations", date(2026, 12, 4), False),
        ("dana", date(2026, 11, 30), True),
        ("unassigned", None, False),
    ]
    assert review.items[0].line == INCIDENT.splitlines().index(INCIDENT.splitlines()[12]) + 1
    assert review.to_complete == 2
    assert review.items[0].overdue(date(2026, 12, 5)) and not review.items[1].overdue(date(2026, 12, 5))


def test_owner_is_inherited_from_the_heading_of_emergency_reviews(tmp_path: Path) -> None:
    """The deployment package's follow-up reviews name their owner in the heading."""
    (tmp_path / "emergency-1.md").write_text(EMERGENCY)
    (tmp_path / "review-x.md").write_text(INCIDENT)
    (tmp_path / "README.md").write_text("- [ ] not a review\n")
    items = open_items(read_reviews(tmp_path))
    assert [(i.path.name, i.owner) for i in items] == [
        ("emergency-1.md", "release manager"),
        ("emergency-1.md", "release manager"),
        ("review-x.md", "platform-operations"),
        ("review-x.md", "unassigned"),
    ]
    assert read_reviews(tmp_path / "missing") == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [("- [ ] Do it (owner: x, due: 2026-13-40)", "not a date"), ("- [ ]   ", "empty action item")],
)
def test_bad_items_are_reported_at_their_line(tmp_path: Path, line: str, message: str) -> None:
    """A due date that is no date, or an empty item, is an error at its line, not a silent skip."""
    path = tmp_path / "review.md"
    path.write_text(f"# R\n\n## Action items\n\n{line}\n")
    with pytest.raises(ValidationError, match=message) as caught:
        read_review(path)
    assert caught.value.loc is not None and caught.value.loc.line == 5
