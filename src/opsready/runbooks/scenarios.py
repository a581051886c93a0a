"""Scenarios and their tags, read with the Gherkin parser pytest-bdd uses, so ``@runbook:<id>`` links what pytest runs.

``@runbook:<id>:<step>`` says the scenario verifies that numbered step of the runbook's Steps section (it links the
scenario to the runbook too).

A scenario carries its own tags, its rule's and its feature's (as in pytest-bdd), and for a Scenario Outline the tags
of its Examples blocks too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException, ParserError, ParserException
from gherkin.parser import Parser

from opsready.errors import Loc, ValidationError
from opsready.textfile import read_text

RUNBOOK_TAG = "runbook:"
_POSITION = re.compile(r"^\(\d+:\d+\):\s*")


@dataclass(frozen=True)
class Tag:
    """A tag as written (without the leading ``@``) and the line it is on."""

    name: str
    line: int

    @property
    def runbook_id(self) -> str | None:
        """The runbook id of a ``runbook:<id>`` or ``runbook:<id>:<step>`` tag, else None."""
        return self.name[len(RUNBOOK_TAG) :].split(":", 1)[0] if self.name.startswith(RUNBOOK_TAG) else None

    @property
    def step_text(self) -> str | None:
        """What follows the id in ``runbook:<id>:<step>`` as written, else None."""
        if not self.name.startswith(RUNBOOK_TAG) or ":" not in self.name[len(RUNBOOK_TAG) :]:
            return None
        return self.name[len(RUNBOOK_TAG) :].split(":", 1)[1]

    @property
    def runbook_step(self) -> int | None:
        """The step number of a ``runbook:<id>:<step>`` tag (None when absent or not a positive number)."""
        text = self.step_text
        return int(text) if text is not None and text.isdigit() and int(text) > 0 else None


@dataclass(frozen=True)
class ScenarioRef:
    """One Scenario or Scenario Outline: where it is, its name, and every tag that applies to it."""

    path: str
    line: int
    name: str
    keyword: str
    feature: str
    tags: tuple[Tag, ...]

    @property
    def loc(self) -> Loc:
        """Where the scenario starts."""
        return Loc(self.path, self.line)

    @property
    def runbook_ids(self) -> tuple[str, ...]:
        """The runbook ids its ``@runbook:`` tags name, without repeats."""
        return tuple(dict.fromkeys(t.runbook_id for t in self.tags if t.runbook_id is not None))

    @property
    def runbook_steps(self) -> tuple[tuple[str, int], ...]:
        """The (runbook id, step) pairs its ``@runbook:<id>:<step>`` tags name, without repeats."""
        pairs = ((t.runbook_id, t.runbook_step) for t in self.tags)
        return tuple(dict.fromkeys((rid, step) for rid, step in pairs if rid and step is not None))

    def __str__(self) -> str:
        return f"{self.loc} ({self.keyword}: {self.name})"


def find_feature_files(features_dir: Path) -> tuple[Path, ...]:
    """Every ``*.feature`` under the directory, subdirectories too, in a stable order."""
    return tuple(sorted(p for p in features_dir.rglob("*.feature") if p.is_file()))


def _tags(node: Mapping[str, Any]) -> tuple[Tag, ...]:
    return tuple(Tag(str(t["name"]).lstrip("@"), int(t["location"]["line"])) for t in node.get("tags", ()))


def _scenarios(
    children: Iterable[Mapping[str, Any]], inherited: tuple[Tag, ...], path: str, feature: str
) -> list[ScenarioRef]:
    found: list[ScenarioRef] = []
    for child in children:
        if "rule" in child:
            rule = child["rule"]
            found += _scenarios(rule.get("children", ()), inherited + _tags(rule), path, feature)
        elif "scenario" in child:
            node = child["scenario"]
            tags = inherited + _tags(node)
            for examples in node.get("examples", ()):
                tags += _tags(examples)
            line = int(node["location"]["line"])
            found.append(ScenarioRef(path, line, str(node["name"]), str(node["keyword"]), feature, tags))
    return found


def read_feature(path: Path) -> tuple[ScenarioRef, ...]:
    """The scenarios of one feature file; a file Gherkin cannot parse is a ValidationError at the failing line."""
    where = str(path)
    text = read_text(path, "feature file")
    try:
        document = cast(Mapping[str, Any], Parser().parse(text))
    except CompositeParserException as exc:
        raise _parse_error(exc.errors[0] if exc.errors else exc, where) from None
    except ParserError as exc:
        raise _parse_error(exc, where) from None
    feature = document.get("feature")
    if not feature:
        return ()
    return tuple(_scenarios(feature.get("children", ()), _tags(feature), where, str(feature.get("name", ""))))


def _parse_error(exc: ParserError, where: str) -> ValidationError:
    line = int(exc.location.get("line", 0)) if isinstance(exc, ParserException) else 0
    message = _POSITION.sub("", str(exc.args[0]) if exc.args else str(exc))
    return ValidationError(f"cannot parse feature file: {message}", Loc(where, line))
