"""Runbook front matter: the YAML between the leading ``---`` lines, validated field by field at its real line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from opsready.errors import Loc, ValidationError
from opsready.results import CATEGORIES, Category
from opsready.runbooks.model import (
    DEFAULT_REVIEW_EVERY,
    ID_PATTERN,
    TARGET_NAME_PATTERN,
    TargetTime,
)
from opsready.severity import SEVERITIES, SeverityName
from opsready.yamlsrc import MapReader, parse_yaml

_FENCE = "---"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ID_LINE = re.compile(r"^id[ \t]*:[ \t]*['\"]?([a-z0-9-]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)
_DATE_LINE = re.compile(r"\s*([\w-]+)\s*:\s*['\"]?(\d{4})-(\d{1,2})-(\d{1,2})['\"]?\s*(?:#.*)?$")


@dataclass(frozen=True)
class FrontMatter:
    """The validated front matter of one runbook, with the line of each key."""

    id: str
    title: str
    owner: str
    last_reviewed: date
    review_every: float
    category: Category
    severity: SeverityName | None
    targets: tuple[TargetTime, ...]
    experiments: tuple[str, ...]
    key_lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Split:
    """A runbook file cut in two: the front matter text (and its first line) and the index of the first body line."""

    text: str
    first_line: int
    body_start: int


def split_front_matter(lines: list[str], path: str) -> Split:
    """Find the front matter between a first line ``---`` and the next ``---``; a missing one is a ValidationError."""
    if not lines or lines[0].strip() != _FENCE:
        raise ValidationError(
            "a runbook must start with YAML front matter between '---' lines",
            Loc(path, 1),
            hint="see runbooks/README.md for the front matter keys",
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == _FENCE:
            return Split("\n".join(lines[1:index]) + "\n", 2, index + 1)
    raise ValidationError("the front matter is not closed: add a '---' line after it", Loc(path, 1))


def load_front_matter(split: Split, path: str) -> object:
    """Parse the front matter YAML with line numbers of the .md file."""
    try:
        return parse_yaml(split.text, path, first_line=split.first_line)
    except ValueError as exc:
        # PyYAML builds dates itself and lets an impossible one (2026-13-40) escape as a bare ValueError
        raise ValidationError(f"bad date: {exc}", _bad_date_loc(split, path)) from None


def _bad_date_loc(split: Split, path: str) -> Loc:
    for offset, text in enumerate(split.text.splitlines()):
        match = _DATE_LINE.match(text)
        if match is None:
            continue
        try:
            date(int(match.group(2)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            return Loc(path, split.first_line + offset)
    return Loc(path, split.first_line - 1)


def declared_id(data: object, split: Split) -> str | None:
    """The ``id`` a front matter declares, even when other fields are wrong (so its scenarios still count)."""
    value = data.get("id") if isinstance(data, dict) else None
    if value is None:  # the YAML did not parse: look for the line itself
        match = _ID_LINE.search(split.text)
        value = match.group(1) if match else None
    return value if isinstance(value, str) and ID_PATTERN.match(value) else None


def build_front_matter(data: object, path: str, fence_line: int = 1) -> FrontMatter:
    """Validate parsed front matter; the first mistake raises a ValidationError at its line."""
    r = MapReader(data, Loc(path, fence_line), "runbook front matter")
    if r.has("verified_by"):
        raise ValidationError(
            "'verified_by' is not written in the front matter: it is derived from scenarios tagged @runbook:<id>",
            r.loc_of("verified_by"),
        )
    rid = r.string("id")
    if not ID_PATTERN.match(rid):
        raise ValidationError(
            f"'id' must be kebab-case (lowercase letters, digits and '-'), got '{rid}'", r.loc_of("id")
        )
    fields = FrontMatter(
        id=rid,
        title=_text(r, "title"),
        owner=_text(r, "owner"),
        last_reviewed=_date(r, "last_reviewed"),
        review_every=_positive_duration(r, "review_every"),
        category=r.choice("category", CATEGORIES),
        severity=r.choice("severity", SEVERITIES) if r.has("severity") else None,
        targets=_targets(r),
        experiments=r.str_list("experiments", ()),
        key_lines=tuple(getattr(r.data, "key_lines", {}).items()),
    )
    r.done()
    return fields


def _text(r: MapReader, key: str) -> str:
    value: str = r.string(key)
    if not value.strip():
        raise ValidationError(f"'{key}' must not be empty", r.loc_of(key))
    return value.strip()


def _date(r: MapReader, key: str) -> date:
    value = r.raw(key)
    if isinstance(value, datetime):
        raise ValidationError(f"'{key}' must be a date like 2026-11-27, without a time", r.loc_of(key))
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError(f"bad date '{value}' for '{key}': {exc}", r.loc_of(key)) from None
    raise ValidationError(f"'{key}' must be a date like 2026-11-27, got {value!r}", r.loc_of(key))


def _positive_duration(r: MapReader, key: str) -> float:
    seconds: float = r.duration(key, DEFAULT_REVIEW_EVERY)
    if seconds < 86400:
        raise ValidationError(f"'{key}' must be at least one day, got {seconds:g} s", r.loc_of(key))
    return seconds


def _targets(r: MapReader) -> tuple[TargetTime, ...]:
    section = r.optional_map("targets", "'targets'")
    if section is None:
        return ()
    targets = []
    for name in section.names():
        if not TARGET_NAME_PATTERN.match(name):
            raise ValidationError(
                f"target names are snake_case like 'rollback_within', got '{name}'", section.loc_of(name)
            )
        targets.append(TargetTime(name, section.duration(name), section.loc_of(name).line))
    return tuple(targets)
