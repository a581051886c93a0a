"""Read and validate a troubleshooting tree (``runbooks/troubleshooting-tree.yaml``) before anything is probed.

Every mistake is reported at its line: unknown keys and probes, probe arguments, answers a probe never gives,
references to nodes that do not exist, cycles, nodes the root cannot reach, diagnoses without a runbook, runbook ids
or section anchors that do not exist, remedies without what they need.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from opsready.durations import parse_duration
from opsready.errors import Loc, ValidationError
from opsready.probes.registry import all_probes, parse_probe_call
from opsready.severity import SEVERITIES
from opsready.spelling import did_you_mean
from opsready.troubleshooting.model import (
    ACTIONS,
    CATEGORIES,
    CULPRITS,
    EVIDENCE,
    HUNG,
    Diagnosis,
    Question,
    Remedy,
    RunbookLink,
    Tree,
)
from opsready.yamlsrc import MapReader, load_yaml

DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 60.0
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def anchors(path: Path) -> frozenset[str]:
    """The section anchors of a Markdown file, as GitHub makes them ('## Frozen api' -> 'frozen-api')."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    found = set()
    fenced = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower().replace("`", ""))
            found.add(text.replace(" ", "-"))
    return frozenset(found)


def _text(path: Path) -> str:
    try:
        return " ".join(path.read_text(encoding="utf-8").split())  # a command may be wrapped across lines
    except OSError:
        return ""


def _runbook(value: object, loc: Loc, known: Mapping[str, Path], problems: list[ValidationError]) -> RunbookLink:
    if not isinstance(value, str) or not value.strip():
        problems.append(ValidationError("'runbook' must be a runbook id, optionally with '#section'", loc))
        return RunbookLink("", "", "", loc)
    rid, _, anchor = value.strip().partition("#")
    path = known.get(rid)
    if path is None:
        hint = did_you_mean(rid, tuple(known)) or f" (known: {', '.join(sorted(known)) or 'none'})"
        problems.append(ValidationError(f"runbook '{rid}' does not exist{hint}", loc))
        return RunbookLink(rid, anchor, "", loc)
    if anchor and anchor not in anchors(path):
        have = sorted(anchors(path))
        hint = did_you_mean(anchor, tuple(have)) or f" (sections: {', '.join(have)})"
        problems.append(ValidationError(f"runbook '{rid}' ({path}) has no section '#{anchor}'{hint}", loc))
    return RunbookLink(rid, anchor, str(path), loc)


def _remedy(reader: MapReader) -> Remedy:
    action = reader.choice("action", ACTIONS)
    component = reader.string("component", "")
    link = reader.string("link", "")
    culprit = reader.string("culprit", "")
    needs = {"restart": "component", "resume": "component", "reset-link": "link", "stop-culprit": "culprit"}
    given = {"component": component, "link": link, "culprit": culprit}
    for key, value in given.items():
        if needs.get(action) == key and not value:
            raise ValidationError(f"remedy '{action}' needs '{key}'", reader.loc)
        if needs.get(action) != key and value:
            raise ValidationError(f"remedy '{action}' takes no '{key}'", reader.loc_of(key))
    if culprit and culprit.partition(":")[0] not in CULPRITS:
        choices = "cpu, memory or connections:<component>"
        raise ValidationError(f"'culprit' must be {choices}; got '{culprit}'", reader.loc_of("culprit"))
    reader.done()
    return Remedy(action, component, link, culprit, reader.loc)


def _diagnosis(
    node: str, reader: MapReader, at: Loc, known: Mapping[str, Path], problems: list[ValidationError]
) -> Diagnosis:
    text = reader.string("diagnosis")
    category = reader.choice("category", CATEGORIES)
    severity = reader.choice("severity", ("none", *SEVERITIES), "none")
    if category != "healthy" and severity == "none":
        problems.append(ValidationError(f"diagnosis '{node}' needs a 'severity' ({', '.join(SEVERITIES)})", at))
    evidence = reader.str_list("evidence", ())
    for item in evidence:
        kind = item.partition(":")[0]
        if kind not in EVIDENCE:
            choices = ", ".join(EVIDENCE)
            problems.append(
                ValidationError(
                    f"unknown evidence '{item}'{did_you_mean(kind, EVIDENCE)} ({choices})", reader.loc_of("evidence")
                )
            )
    if not reader.has("runbook"):
        problems.append(ValidationError(f"diagnosis '{node}' names no runbook to follow", at))
    runbook = _runbook(reader.raw("runbook", ""), reader.loc_of("runbook"), known, problems)
    remedy_reader = reader.optional_map("remedy", f"remedy of '{node}'")
    remedy = _remedy(remedy_reader) if remedy_reader is not None else Remedy("none", loc=reader.loc)
    prescribed = remedy.prescription()
    if prescribed and runbook.path and prescribed not in _text(Path(runbook.path)):
        where = remedy.loc or reader.loc
        problems.append(
            ValidationError(f"runbook '{runbook.id}' does not prescribe this remedy: `{prescribed}`", where)
        )
    reader.done()
    return Diagnosis(node, text, category, severity, evidence, runbook, remedy, at)


def _question(node: str, reader: MapReader, at: Loc) -> Question:
    text = reader.string("question")
    name = reader.raw("probe")
    call = parse_probe_call(name, reader.raw("args", None), reader.loc_of("probe"), reader.value_loc("args"))
    timeout = reader.duration("timeout", DEFAULT_TIMEOUT)
    if not 0.1 <= timeout <= MAX_TIMEOUT:
        raise ValidationError(
            f"'timeout' must be between 0.1 s and {MAX_TIMEOUT:g} s, got {timeout:g} s", reader.loc_of("timeout")
        )
    locs = [(key, reader.loc_of(key)) for key in ("ok", "failed", HUNG)]
    answers: list[tuple[str, str]] = []
    offered = all_probes()[call.probe].answers
    answer_reader = reader.optional_map("answers", f"answers of '{node}'")
    if answer_reader is not None:
        for answer in answer_reader.names():
            if answer not in offered:
                known = ", ".join(offered) if offered else "none: branch on ok/failed/hung"
                hint = did_you_mean(answer, offered)
                raise ValidationError(
                    f"probe '{call.probe}' never answers '{answer}'{hint} (it answers: {known})",
                    answer_reader.loc_of(answer),
                )
            answers.append((answer, answer_reader.string(answer)))
            locs.append((answer, answer_reader.loc_of(answer)))
    question = Question(
        id=node,
        text=text,
        call=call,
        timeout=timeout,
        ok=reader.string("ok"),
        failed=reader.string("failed"),
        hung=reader.string(HUNG, ""),
        answers=tuple(answers),
        loc=at,
        branch_locs=tuple(locs),
    )
    reader.done()
    return question


def _walk_problems(root: str, questions: Mapping[str, Question], nodes: Mapping[str, Loc]) -> list[ValidationError]:
    """Dangling references, cycles (depth-first from the root) and nodes the root cannot reach."""
    problems: list[ValidationError] = []
    for question in questions.values():
        for outcome, target in question.branches():
            if target not in nodes:
                hint = did_you_mean(target, tuple(nodes))
                problems.append(
                    ValidationError(
                        f"'{question.id}' leads to unknown node '{target}'{hint}", question.branch_loc(outcome)
                    )
                )
    seen: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> None:
        if node in stack:
            cycle = " -> ".join([*stack[stack.index(node) :], node])
            parent = questions[stack[-1]]
            outcome = next(o for o, t in parent.branches() if t == node)
            problems.append(ValidationError(f"cycle: {cycle}", parent.branch_loc(outcome)))
            return
        if node in seen or node not in questions:
            seen.add(node)
            return
        seen.add(node)
        stack.append(node)
        for _, target in questions[node].branches():
            visit(target)
        stack.pop()

    visit(root)
    for node, loc in nodes.items():
        if node not in seen:
            problems.append(ValidationError(f"node '{node}' cannot be reached from the root '{root}'", loc))
    return problems


def check_tree(path: Path, known_runbooks: Mapping[str, Path]) -> tuple[Tree | None, tuple[ValidationError, ...]]:
    """Read a tree and every problem in it (structure errors stop at the first; the rest are all collected)."""
    where = str(path)
    top = MapReader(load_yaml(path), Loc(where, 1), "troubleshooting tree")
    version = top.integer("version")
    if version != 1:
        raise ValidationError(
            f"unsupported tree version {version} (this opsready reads version 1)", top.loc_of("version")
        )
    root = top.string("root")
    limit: Any = top.raw("time_limit", None)
    problems: list[ValidationError] = []
    questions_section = top.map("questions")
    questions = {
        n: _question(n, questions_section.map(n, f"question '{n}'"), questions_section.loc_of(n))
        for n in questions_section.names()
    }
    diagnoses_section = top.map("diagnoses")
    diagnoses = {
        n: _diagnosis(
            n, diagnoses_section.map(n, f"diagnosis '{n}'"), diagnoses_section.loc_of(n), known_runbooks, problems
        )
        for n in diagnoses_section.names()
    }
    top.done()
    for node in set(questions) & set(diagnoses):
        problems.append(ValidationError(f"'{node}' is both a question and a diagnosis", diagnoses[node].loc))
    nodes = {**{n: q.loc for n, q in questions.items()}, **{n: d.loc for n, d in diagnoses.items()}}
    if root not in questions:
        problems.append(
            ValidationError(
                f"root '{root}' is not a question{did_you_mean(root, tuple(questions))}", top.loc_of("root")
            )
        )
        return None, tuple(problems)
    problems += _walk_problems(root, questions, nodes)
    tree = Tree(where, root, MappingProxyType(questions), MappingProxyType(diagnoses), 0.0)
    bound = tree.longest() if not any("cycle" in p.message for p in problems) else 0.0
    time_limit = bound if limit is None else parse_duration(limit, top.loc_of("time_limit"))
    problems.sort(key=lambda p: p.loc.line if p.loc else 0)
    return Tree(where, root, tree.questions, tree.diagnoses, time_limit), tuple(problems)


def load_tree(path: Path, known_runbooks: Mapping[str, Path]) -> Tree:
    """A validated tree; the first problem (in line order) is raised as a :class:`ValidationError`."""
    tree, problems = check_tree(path, known_runbooks)
    if problems:
        raise problems[0]
    assert tree is not None
    return tree
