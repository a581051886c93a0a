"""A parsed runbook: its front matter fields, its ``##`` sections, numbered steps and contacts, as frozen data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from opsready.errors import Loc
from opsready.results import Category
from opsready.severity import SeverityName

# The story's procedure template, in this order; other sections (Validation, Communication, ...) may come between.
REQUIRED_SECTIONS = ("Overview", "Prerequisites", "Steps", "Rollback", "Contacts")
# Contacts must name at least these roles (matched case-insensitively in the role text of a list item).
REQUIRED_CONTACTS = ("primary", "escalation")
DEFAULT_REVIEW_EVERY = 90 * 86400.0
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
TARGET_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class TargetTime:
    """A duration the runbook promises, e.g. ``rollback_within: 5 minutes`` (in seconds)."""

    name: str
    seconds: float
    line: int


@dataclass(frozen=True)
class Section:
    """One ``##`` section: its heading as written, where it starts and ends, and its text."""

    name: str
    line: int
    end_line: int
    text: str

    @property
    def key(self) -> str:
        """The heading lowercased, for case-insensitive lookups."""
        return self.name.strip().lower()


@dataclass(frozen=True)
class Step:
    """One numbered step of the Steps section: its number, its first line of text, and its line."""

    number: int
    text: str
    line: int


@dataclass(frozen=True)
class Contact:
    """One list item of the Contacts section: a role (``Primary``) and who or how to reach them."""

    role: str
    who: str
    line: int


@dataclass(frozen=True)
class Runbook:
    """A runbook file: front matter fields, sections, steps and contacts; ``verified_by`` comes from scenario tags."""

    path: str
    id: str
    title: str
    owner: str
    last_reviewed: date
    review_every: float
    category: Category
    severity: SeverityName | None
    targets: tuple[TargetTime, ...]
    experiments: tuple[str, ...]
    sections: tuple[Section, ...]
    steps: tuple[Step, ...]
    contacts: tuple[Contact, ...]
    heading: str = ""
    key_lines: tuple[tuple[str, int], ...] = ()

    def loc(self, key: str = "id") -> Loc:
        """Where a front matter key was written (the file's first line when unknown)."""
        return Loc(self.path, dict(self.key_lines).get(key, 1))

    def section(self, name: str) -> Section | None:
        """The first section whose heading is ``name`` (case-insensitive), or None."""
        wanted = name.strip().lower()
        return next((s for s in self.sections if s.key == wanted), None)

    def target(self, name: str) -> float | None:
        """The promised duration in seconds for a target name (``rollback_within``), or None."""
        return next((t.seconds for t in self.targets if t.name == name), None)

    def contact(self, role: str) -> Contact | None:
        """The first contact whose role mentions ``role`` (case-insensitive), or None."""
        wanted = role.lower()
        return next((c for c in self.contacts if wanted in c.role.lower()), None)

    @property
    def review_due(self) -> date:
        """The day the next review is due."""
        return self.last_reviewed + timedelta(seconds=self.review_every)

    def is_stale(self, today: date) -> bool:
        """Whether the review is overdue on ``today``."""
        return today > self.review_due
