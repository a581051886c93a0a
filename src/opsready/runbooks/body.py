"""The Markdown body of a runbook: ``##`` sections, the numbered Steps, the Contacts, and the template's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from opsready.errors import Loc, ValidationError
from opsready.runbooks.model import REQUIRED_CONTACTS, REQUIRED_SECTIONS, Contact, Section, Step

_HEADING = re.compile(r" {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# fences nested in list items are indented further than CommonMark's 3 spaces: accept any indentation
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
# a step starts at the margin; deeper indentation is content (or a nested list) under the step above
_NUMBERED = re.compile(r" {0,1}(\d{1,9})[.)]\s+(\S.*)$")
_BULLET = re.compile(r" {0,1}[-*+]\s+(.*)$")


@dataclass(frozen=True)
class Line:
    """One body line with its 1-based number; ``fenced`` when inside (or delimiting) a code block."""

    number: int
    text: str
    fenced: bool


@dataclass(frozen=True)
class Body:
    """The parsed body, and every way it breaks the procedure template."""

    heading: str
    sections: tuple[Section, ...]
    steps: tuple[Step, ...]
    contacts: tuple[Contact, ...]
    problems: tuple[ValidationError, ...]


def _lines(lines: list[str], start: int) -> list[Line]:
    out: list[Line] = []
    fence = ""
    for index in range(start, len(lines)):
        text = lines[index]
        match = _FENCE.match(text)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not text.strip(" `~"):
                fence = ""
            out.append(Line(index + 1, text, True))
        elif match:
            fence = match.group(1)
            out.append(Line(index + 1, text, True))
        else:
            out.append(Line(index + 1, text, False))
    return out


def _split_sections(body: list[Line]) -> tuple[str, list[tuple[str, int, list[Line]]]]:
    heading = ""
    sections: list[tuple[str, int, list[Line]]] = []
    for line in body:
        match = None if line.fenced else _HEADING.match(line.text)
        if match and len(match.group(1)) == 1 and not heading and not sections:
            heading = match.group(2)
        elif match and len(match.group(1)) == 2:
            sections.append((match.group(2), line.number, []))
        elif sections:
            sections[-1][2].append(line)
    return heading, sections


def parse_body(lines: list[str], start: int, path: str) -> Body:
    """Parse the body starting at index ``start`` of the file's ``lines`` and check it against the template."""
    body = _lines(lines, start)
    heading, raw = _split_sections(body)
    last_line = max(len(lines), 1)
    sections = tuple(
        Section(name, line, content[-1].number if content else line, "\n".join(x.text for x in content).strip("\n"))
        for name, line, content in raw
    )
    problems = _order_problems(sections, path, last_line)
    steps: tuple[Step, ...] = ()
    contacts: tuple[Contact, ...] = ()
    by_key = {name.strip().lower(): (line, content) for name, line, content in reversed(raw)}
    if "steps" in by_key:
        line, content = by_key["steps"]
        steps, step_problems = _steps(content, Loc(path, line))
        problems += step_problems
    if "contacts" in by_key:
        line, content = by_key["contacts"]
        contacts = _contacts(content)
        problems += _contact_problems(contacts, Loc(path, line))
    return Body(heading, sections, steps, contacts, tuple(problems))


def _order_problems(sections: tuple[Section, ...], path: str, last_line: int) -> list[ValidationError]:
    required = [name.lower() for name in REQUIRED_SECTIONS]
    problems: list[ValidationError] = []
    first: dict[str, Section] = {}
    for section in sections:
        if section.key in required:
            if section.key in first:
                problems.append(
                    ValidationError(
                        f"duplicate section '## {section.name}' (first at line {first[section.key].line})",
                        Loc(path, section.line),
                    )
                )
            else:
                first[section.key] = section
    order = ", ".join(REQUIRED_SECTIONS)
    highest = -1
    for section in first.values():
        index = required.index(section.key)
        if index < highest:
            problems.append(
                ValidationError(
                    f"section '## {section.name}' is out of order: it must come before "
                    f"'## {REQUIRED_SECTIONS[highest]}' (required order: {order})",
                    Loc(path, section.line),
                )
            )
        highest = max(highest, index)
    for index, name in enumerate(REQUIRED_SECTIONS):
        if name.lower() in first:
            continue
        later = next((first[k] for k in required[index + 1 :] if k in first), None)
        where = f" (it goes before '## {later.name}')" if later else ""
        problems.append(
            ValidationError(
                f"missing required section '## {name}'{where}; the template is: {order}",
                Loc(path, later.line if later else last_line),
            )
        )
    return problems


def _steps(content: list[Line], where: Loc) -> tuple[tuple[Step, ...], list[ValidationError]]:
    steps: list[Step] = []
    problems: list[ValidationError] = []
    blank_before = True
    for line in content:
        if line.fenced or _HEADING.match(line.text):
            blank_before = False
            continue
        if not line.text.strip():
            blank_before = True
            continue
        numbered = _NUMBERED.match(line.text)
        loc = Loc(where.path, line.number)
        if numbered:
            number, expected = int(numbered.group(1)), (steps[-1].number + 1 if steps else 1)
            if number != expected:
                problems.append(ValidationError(f"step numbered {number}, expected {expected}", loc))
            steps.append(Step(number, numbered.group(2).strip(), line.number))
        elif _BULLET.match(line.text):
            problems.append(
                ValidationError("'## Steps' must be a numbered list: write '1. ...' rather than a bullet", loc)
            )
        elif steps and blank_before and not line.text[0].isspace():
            problems.append(
                ValidationError("text between steps must be indented under a step (the list ends here)", loc)
            )
        blank_before = False
    if not steps and not problems:
        problems.append(ValidationError("'## Steps' must be a numbered list (1. ..., 2. ...)", where))
    return tuple(steps), problems


def _contacts(content: list[Line]) -> tuple[Contact, ...]:
    contacts: list[Contact] = []
    item = False
    for line in content:
        bullet = None if line.fenced else _BULLET.match(line.text)
        if bullet is not None and ":" in bullet.group(1):
            role, who = bullet.group(1).split(":", 1)
            contacts.append(Contact(role.strip(" *_`"), who.strip(" *_"), line.number))
            item = True
        elif item and not line.fenced and line.text[:1].isspace() and line.text.strip():
            last = contacts[-1]  # a continuation line of the item above
            contacts[-1] = replace(last, who=f"{last.who} {line.text.strip()}")
        else:
            item = False
    return tuple(contacts)


def _contact_problems(contacts: tuple[Contact, ...], where: Loc) -> list[ValidationError]:
    problems = []
    for role in REQUIRED_CONTACTS:
        if not any(role in c.role.lower() for c in contacts):
            problems.append(
                ValidationError(
                    f"'## Contacts' must name {'an' if role[0] in 'aeiou' else 'a'} {role} contact"
                    f" (a list item like '- {role.capitalize()}: ...')",
                    where,
                )
            )
    return problems
