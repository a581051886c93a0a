"""docs/your-service.md as steps a test follows: the commands it runs and the files it writes, in document order.

The document marks what is followed with an HTML comment before a fenced block:

- ``<!-- tutorial: run -->`` before a ``console`` block: each ``$ `` line is a command (other lines are output);
- ``<!-- tutorial: write PATH -->`` before any block: the block is the whole content of PATH, relative to the
  directory the commands have reached;
- ``<!-- tutorial: installed -->`` before the install block: not run (no network); the installed package stands in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MARKER = re.compile(r"^<!-- tutorial: (run|write|installed)(?: (\S+))? -->$")
FENCE = re.compile(r"^(`{3,})(\S*)$")


@dataclass(frozen=True)
class Step:
    """One followed block: its kind, the file it writes (for ``write``), its text and its line in the document."""

    kind: Literal["run", "write", "installed"]
    path: str
    text: str
    line: int

    @property
    def commands(self) -> tuple[str, ...]:
        """The ``$`` lines of a console block."""
        return tuple(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def steps(document: Path) -> tuple[Step, ...]:
    """Every marked block, in order; ValueError naming the line when a marker has no block after it."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found: list[Step] = []
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index].strip())
        index += 1
        if not marker:
            continue
        kind, path = marker.group(1), marker.group(2) or ""
        opening = FENCE.match(lines[index]) if index < len(lines) else None
        if opening is None:
            raise ValueError(f"{document}:{index}: a tutorial marker must be followed by a fenced block")
        if (kind == "write") != bool(path):
            raise ValueError(f"{document}:{index}: only 'write' names a path")
        start = index + 1
        end = start
        while end < len(lines) and lines[end] != opening.group(1):
            end += 1
        if end == len(lines):
            raise ValueError(f"{document}:{index + 1}: the fenced block is not closed")
        text = "\n".join(lines[start:end]) + "\n"
        found.append(Step(kind, path, text, start))  # type: ignore[arg-type]  # the regex allows only the three
        index = end + 1
    return tuple(found)


def substitute(text: str, values: dict[str, str]) -> str:
    """The document's example values replaced by the fleet's in one pass, longest first (a value inside another is
    not replaced on its own, and a replacement is never replaced again)."""
    pattern = re.compile("|".join(re.escape(old) for old in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda match: values[match.group(0)], text)
