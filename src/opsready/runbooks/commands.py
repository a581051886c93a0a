"""The ``opsready`` commands a runbook names: inline code spans in its text, and lines of its fenced blocks.

Two markers (documented in runbooks/README.md):

- platform: a command that exists for one platform only is followed by ``(<platform> only`` in the text, as in
  ``\\`opsready sandbox releases\\` (sandbox only)``; in a fenced block, by a comment ``# (sandbox only)`` on its line,
  or the whole block says ``platform=sandbox`` in its info string.
- runnable blocks: a fenced block whose info string is ``sh opsready-run read-only`` or ``sh opsready-run changing``
  (options: ``timeout=10s``, ``platform=NAME``) holds commands meant to be run as written, one a line.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opsready.durations import parse_duration
from opsready.errors import Loc, ValidationError
from opsready.textfile import read_text

RunMode = Literal["read-only", "changing"]
RUN_MODES: tuple[RunMode, ...] = ("read-only", "changing")
RUN_WORD = "opsready-run"
DEFAULT_TIME_LIMIT = 10.0
Source = Literal["inline", "fenced"]

_FENCE = re.compile(r"(\s*)(`{3,}|~{3,})\s*(.*)$")
_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_SUBST = re.compile(r"\$\([^)]*\)")
_ONLY = re.compile(r"\((\w[\w-]*) only\b")
_AFTER_SPAN = re.compile(r"\s*\((\w[\w-]*) only\b")
_STEP = re.compile(r" {0,1}(\d{1,9})[.)]\s+\S")
_HEADING = re.compile(r" {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class RunBlock:
    """A fenced block marked runnable: where it starts, how it may be run, and the step it sits under (if any)."""

    path: str
    line: int
    mode: RunMode
    time_limit: float
    platform: str | None
    step: int | None
    commands: tuple[CommandRef, ...] = ()

    def loc(self) -> Loc:
        """Where the block's opening fence is."""
        return Loc(self.path, self.line)


@dataclass(frozen=True)
class CommandRef:
    """One ``opsready ...`` command as written: its words, where, and the platform it is marked for."""

    path: str
    line: int
    text: str
    argv: tuple[str, ...]
    source: Source
    platform: str | None = None

    def loc(self) -> Loc:
        """Where the command is written."""
        return Loc(self.path, self.line)


@dataclass(frozen=True)
class RunbookCommands:
    """Every command of one file, its runnable blocks, and the problems with the markers themselves."""

    commands: tuple[CommandRef, ...]
    blocks: tuple[RunBlock, ...]
    problems: tuple[ValidationError, ...]


def _split(text: str) -> tuple[str, ...] | None:
    """The words of a command; ``$(...)`` stands for one word, ``[--opt VALUE]`` (optional, as in usage lines) is read
    as the option it shows."""
    try:
        words = shlex.split(_SUBST.sub("SUBST", text), comments=True)
    except ValueError:  # an unclosed quote
        return None
    return tuple(w.removeprefix("[").removesuffix("]") if w != "[]" else w for w in words)


def _inline(path: str, paragraph: list[tuple[int, str]]) -> list[CommandRef]:
    text = "\n".join(t for _, t in paragraph)
    starts = []
    offset = 0
    for _, line_text in paragraph:
        starts.append(offset)
        offset += len(line_text) + 1
    found = []
    for match in _SPAN.finditer(text):
        content = " ".join(match.group(2).split())
        if not content.startswith("opsready "):
            continue
        index = sum(1 for s in starts if s <= match.start()) - 1
        after = _AFTER_SPAN.match(text, match.end())
        argv = _split(content) or tuple(content.split())
        platform = after.group(1) if after else None
        found.append(CommandRef(path, paragraph[index][0], content, argv, "inline", platform))
    return found


def _block_info(path: str, line: int, info: str) -> tuple[RunMode | None, float, str | None, list[ValidationError]]:
    words = info.split()
    if RUN_WORD not in words:
        return None, DEFAULT_TIME_LIMIT, None, []
    where = Loc(path, line)
    rest = words[words.index(RUN_WORD) + 1 :]
    mode = rest[0] if rest else ""
    problems = []
    if mode not in RUN_MODES:
        problems.append(ValidationError(f"'{RUN_WORD}' must be followed by read-only or changing, not '{mode}'", where))
    limit, platform = DEFAULT_TIME_LIMIT, None
    for word in rest[1:]:
        key, _, value = word.partition("=")
        if key == "timeout" and value:
            try:
                limit = parse_duration(value, where)
            except ValidationError as exc:
                problems.append(ValidationError(f"bad timeout '{value}': {exc.message}", where))
        elif key == "platform" and value:
            platform = value
        else:
            problems.append(
                ValidationError(f"unknown runnable-block option '{word}' (known: timeout=10s, platform=NAME)", where)
            )
    return (mode if mode in RUN_MODES else None), limit, platform, problems


def _fenced(path: str, body: list[tuple[int, str]], platform: str | None) -> list[CommandRef]:
    found = []
    pending: list[tuple[int, str]] = []
    for number, text in body:
        pending.append((number, text))
        if text.rstrip().endswith("\\"):
            continue
        first = pending[0][0]
        joined = " ".join(t.rstrip().removesuffix("\\").strip() for _, t in pending)
        pending = []
        command = joined.removeprefix("$ ").strip()
        if not command.startswith("opsready ") and command != "opsready":
            continue
        argv = _split(command) or tuple(command.split())
        code, _, comment = command.partition(" #")
        only = _ONLY.search(comment)
        found.append(CommandRef(path, first, code.strip(), argv, "fenced", only.group(1) if only else platform))
    return found


def extract_commands(path: Path) -> RunbookCommands:
    """Read a Markdown file and find its commands and runnable blocks."""
    where = str(path)
    lines = read_text(path, "runbook", encoding="utf-8-sig").splitlines()
    commands: list[CommandRef] = []
    blocks: list[RunBlock] = []
    problems: list[ValidationError] = []
    paragraph: list[tuple[int, str]] = []
    step: int | None = None
    in_steps = False
    index = 0
    while index < len(lines):
        text = lines[index]
        fence = _FENCE.match(text)
        if fence is None:
            heading = _HEADING.match(text)
            if heading and len(heading.group(1)) == 2:
                in_steps, step = heading.group(2).strip().lower() == "steps", None
            numbered = _STEP.match(text)
            if in_steps and numbered:
                step = int(numbered.group(1))
            if text.strip():
                paragraph.append((index + 1, text))
            else:
                commands.extend(_inline(where, paragraph))
                paragraph = []
            index += 1
            continue
        commands.extend(_inline(where, paragraph))
        paragraph = []
        marker, info = fence.group(2), fence.group(3)
        start = index + 1
        body: list[tuple[int, str]] = []
        index += 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            fits = closing is not None and closing.group(2)[0] == marker[0] and len(closing.group(2)) >= len(marker)
            if fits and closing is not None and not closing.group(3).strip():
                break
            body.append((index + 1, lines[index]))
            index += 1
        index += 1
        mode, limit, platform, info_problems = _block_info(where, start, info)
        problems.extend(info_problems)
        found = _fenced(where, body, platform)
        commands.extend(found)
        if mode is not None:
            if not found:
                problems.append(ValidationError("a runnable block holds no `opsready` command", Loc(where, start)))
            blocks.append(RunBlock(where, start, mode, limit, platform, step if in_steps else None, tuple(found)))
    commands.extend(_inline(where, paragraph))
    return RunbookCommands(tuple(commands), tuple(blocks), tuple(problems))
