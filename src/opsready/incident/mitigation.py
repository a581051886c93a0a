"""The automated mitigation an incident runbook declares, and running it through the Target.

An incident runbook carries its automated mitigation in a YAML block under a ``## Automated mitigation`` heading, so
the people reading the runbook see exactly what ``opsready incident mitigate`` and the drills do::

    ## Automated mitigation

    ```yaml
    - restart: api
    ```

Actions: ``restart: <component>`` and ``reset-link: <link>`` (:mod:`opsready.targets.remediation`), and
``rollback: <reason>`` (:meth:`Target.rollback`). A plan is validated when read (``path:line``) and checked against
the target before the first action runs (unknown component or link: nothing is done).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from opsready.errors import Loc, UsageError, ValidationError
from opsready.spelling import did_you_mean
from opsready.targets.protocol import Target
from opsready.targets.remediation import remediation_of
from opsready.textfile import read_text
from opsready.yamlsrc import parse_yaml

SECTION = "automated mitigation"
ActionKind = Literal["restart", "reset-link", "rollback"]
ACTIONS: tuple[ActionKind, ...] = get_args(ActionKind)
_HEADING = re.compile(r" {0,3}##\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"\s*(`{3,}|~{3,})\s*(\S*)")
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Action:
    """One step of a mitigation."""

    kind: ActionKind
    argument: str
    loc: Loc

    def describe(self) -> str:
        """'restart api', 'reset the edge link', 'roll back (error rate above 5 %)'."""
        if self.kind == "restart":
            return f"restart {self.argument}"
        if self.kind == "reset-link":
            return f"reset the {self.argument} link"
        return f"roll back ({self.argument})"


@dataclass(frozen=True)
class ActionOutcome:
    """What one action did, and how long it took."""

    action: Action
    detail: str
    seconds: float


@dataclass(frozen=True)
class MitigationPlan:
    """The actions of one runbook, in order."""

    path: str
    actions: tuple[Action, ...]

    def describe(self) -> str:
        """'restart api, then reset the edge link'."""
        return ", then ".join(a.describe() for a in self.actions)

    def check(self, target: Target) -> None:
        """Every component and link exists on ``target`` (read-only); a :class:`UsageError` at the action's line."""
        needs_remediation = [a for a in self.actions if a.kind != "rollback"]
        if not needs_remediation:
            return
        remediation = remediation_of(target)
        for action in needs_remediation:
            known = remediation.components() if action.kind == "restart" else remediation.links()
            if action.argument not in known:
                what = "component" if action.kind == "restart" else "link"
                raise UsageError(
                    f"{action.kind}: unknown {what} '{action.argument}'{did_you_mean(action.argument, known)} "
                    f"(target '{target.name}' has: {', '.join(known) or 'none'})",
                    action.loc,
                )


def _block(lines: list[str], path: str) -> tuple[str, int]:
    section = next((i for i, t in enumerate(lines) if (m := _HEADING.match(t)) and m.group(1).lower() == SECTION), None)
    if section is None:
        raise ValidationError(
            "the runbook has no '## Automated mitigation' section with a YAML block of actions",
            Loc(path, 1),
            hint=f"actions: {', '.join(ACTIONS)}",
        )
    for index in range(section + 1, len(lines)):
        if _HEADING.match(lines[index]):
            break
        fence = _FENCE.match(lines[index])
        if fence and fence.group(2).lower() in ("yaml", "yml"):
            for end in range(index + 1, len(lines)):
                if lines[end].strip().startswith(fence.group(1)):
                    return "\n".join(lines[index + 1 : end]) + "\n", index + 2
            raise ValidationError("the mitigation's YAML block is not closed", Loc(path, index + 1))
    raise ValidationError("'## Automated mitigation' has no ```yaml block of actions", Loc(path, section + 1))


def _action(item: object, loc: Loc) -> Action:
    if not isinstance(item, dict) or len(item) != 1:
        raise ValidationError(f"each action is one 'kind: argument' pair ({', '.join(ACTIONS)})", loc)
    kind, argument = next(iter(item.items()))
    if kind not in ACTIONS:
        raise ValidationError(
            f"unknown action '{kind}'{did_you_mean(str(kind), ACTIONS)}; known: {', '.join(ACTIONS)}", loc
        )
    if not isinstance(argument, str) or not argument.strip():
        what = "a reason" if kind == "rollback" else "a name"
        raise ValidationError(f"'{kind}' needs {what} as a string, got {argument!r}", loc)
    return Action(kind, argument.strip(), loc)


def parse_mitigation(text: str, path: str) -> MitigationPlan:
    """The mitigation plan of a runbook's text; mistakes are ``path:line`` errors."""
    block, first_line = _block(text.splitlines(), path)
    data = parse_yaml(block, path, first_line=first_line)
    if not isinstance(data, list) or not data:
        raise ValidationError("the mitigation must be a non-empty list of actions", Loc(path, first_line))
    lines = getattr(data, "item_lines", [])
    actions = tuple(_action(item, Loc(path, lines[i] if i < len(lines) else first_line)) for i, item in enumerate(data))
    return MitigationPlan(path, actions)


def load_mitigation(path: Path) -> MitigationPlan:
    """Read a runbook file's mitigation plan."""
    return parse_mitigation(read_text(path, "runbook"), str(path))


def run_mitigation(plan: MitigationPlan, target: Target, say: Say = _quiet) -> tuple[ActionOutcome, ...]:
    """Check the plan against the target, then run every action in order; each returns once its effect is confirmed."""
    plan.check(target)
    outcomes = []
    for action in plan.actions:
        started = time.monotonic()
        if action.kind == "rollback":
            record = target.rollback(note=f"incident mitigation: {action.argument}")
            detail = f"rolled back from {record.previous or '?'} to {record.version}"
        elif action.kind == "restart":
            detail = remediation_of(target).restart_component(action.argument)
        else:
            detail = remediation_of(target).reset_link(action.argument)
        outcome = ActionOutcome(action, detail, time.monotonic() - started)
        say(f"{action.describe()}: {detail} ({outcome.seconds:.2f} s)")
        outcomes.append(outcome)
    return tuple(outcomes)
