"""Action items across review drafts: every Markdown task item (``- [ ]`` open, ``- [x]`` done) in the reviews
directory, with its owner and due date.

An item names its owner and due date inline, ``(owner: platform-operations, due: 2026-12-04)``; without an inline
owner it inherits one from the nearest heading that names one (``## To complete (owner: release manager, ...)``, as
emergency-deployment reviews do). A due date that is not a real date is a ``path:line`` error, not a silent skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.textfile import read_text

_TASK = re.compile(r"\s*[-*+]\s+\[([ xX])\]\s*(.*)$")
_HEADING = re.compile(r"\s{0,3}(#{1,6})\s+(.*)$")
_OWNER = re.compile(r"\bowner:\s*([^,;)]+)", re.IGNORECASE)
_DUE = re.compile(r"\bdue:\s*([^,;)\s]+)", re.IGNORECASE)
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
TO_COMPLETE = "**TO COMPLETE**"


@dataclass(frozen=True)
class ActionItem:
    """One task item of a review."""

    path: Path
    line: int
    text: str
    owner: str
    due: date | None
    done: bool

    @property
    def loc(self) -> Loc:
        """Where it is written."""
        return Loc(str(self.path), self.line)

    def overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return not self.done and self.due is not None and self.due < today


@dataclass(frozen=True)
class ReviewFile:
    """One review draft: its items and how many sections a person still has to complete."""

    path: Path
    items: tuple[ActionItem, ...]
    to_complete: int


def _due(text: str, loc: Loc) -> date | None:
    match = _DUE.search(text)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise ValidationError(f"action item due date '{match.group(1)}' is not a date like 2026-12-04", loc) from None


def read_review(path: Path) -> ReviewFile:
    """Every task item of one review file."""
    lines = read_text(path, "review").splitlines()
    items = []
    owner = ""
    fence = ""
    to_complete = 0
    for number, text in enumerate(lines, start=1):
        fenced = _FENCE.match(text)
        if fenced:
            fence = "" if fence else fenced.group(1)
            continue
        if fence:
            continue
        to_complete += TO_COMPLETE in text
        heading = _HEADING.match(text)
        if heading:
            inherited = _OWNER.search(heading.group(2))
            owner = inherited.group(1).strip() if inherited else ""
            continue
        task = _TASK.match(text)
        if task is None:
            continue
        body = task.group(2).strip()
        loc = Loc(str(path), number)
        if not body:
            raise ValidationError("empty action item: say what must be done", loc)
        inline = _OWNER.search(body)
        who = inline.group(1).strip() if inline else owner
        items.append(ActionItem(path, number, body, who or "unassigned", _due(body, loc), task.group(1) != " "))
    return ReviewFile(path, tuple(items), to_complete)


def read_reviews(directory: Path) -> tuple[ReviewFile, ...]:
    """Every ``*.md`` review in ``directory`` (README excluded), oldest name first; a missing directory has none."""
    if not directory.is_dir():
        return ()
    paths = sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")
    return tuple(read_review(p) for p in paths)


def open_items(reviews: tuple[ReviewFile, ...]) -> tuple[ActionItem, ...]:
    """Items not done, across reviews."""
    return tuple(item for review in reviews for item in review.items if not item.done)
