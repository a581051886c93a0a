"""The troubleshooting decision tree as data: questions answered by probes, and diagnoses at the leaves.

A :class:`Question` runs one probe (from the shared probe library) and goes on by its outcome: ``ok``, ``failed``,
a named answer the probe gives when it fails (``refused``, ``frozen``, ``users-network``, ...), or ``hung`` when the
probe did not finish within the question's timeout. A question whose probe needs what the target's platform cannot
offer (:func:`opsready.targets.diagnostics.unmet`) is not asked: the walk names it and goes on along its
``not_applicable`` branch (its ``ok`` branch unless written: nothing was found there). A :class:`Diagnosis` names
what is wrong, how bad it is, the evidence to collect, the runbook to follow and the remedy that runbook prescribes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from opsready.errors import Loc
from opsready.probes.registry import ProbeCall
from opsready.severity import SeverityName

DiagnosisCategory = Literal["infrastructure", "application", "healthy"]
CATEGORIES: tuple[DiagnosisCategory, ...] = get_args(DiagnosisCategory)
EVIDENCE = ("processes", "restarts", "connections", "database", "metrics", "host", "logs")
ACTIONS = ("none", "restart", "resume", "reset-link", "rollback", "end-blocking-sessions", "stop-culprit")
CULPRITS = ("cpu", "memory", "connections")
HUNG: Final = "hung"
NOT_APPLICABLE: Final = "not_applicable"


@dataclass(frozen=True)
class RunbookLink:
    """A runbook a diagnosis points to: its id, an optional section anchor, and its file."""

    id: str
    anchor: str
    path: str
    loc: Loc

    def __str__(self) -> str:
        return f"{self.path}#{self.anchor}" if self.anchor else self.path


@dataclass(frozen=True)
class Remedy:
    """The fix the linked runbook prescribes, as an action opsready can take (``none``: nothing to undo)."""

    action: str
    component: str = ""
    link: str = ""
    culprit: str = ""  # cpu, memory or connections:<component>: what stop-culprit stops
    loc: Loc | None = None

    def prescription(self) -> str:
        """The command as a runbook writes it, without the values of one incident (a pgid, a reason)."""
        if self.action == "none":
            return ""
        if self.action == "rollback":
            return "opsready rollback --reason"
        if self.action == "stop-culprit":
            return "opsready remedy stop-culprit --pgid"
        return self.command()

    def command(self, pgid: int | None = None, reason: str = "") -> str:
        """The command an operator runs for it."""
        if self.action == "none":
            return ""
        if self.action == "rollback":
            return f'opsready rollback --reason "{reason or "troubleshooting"}"'
        args = {
            "restart": f" --component {self.component}",
            "resume": f" --component {self.component}",
            "reset-link": f" --link {self.link}",
        }
        if self.action == "stop-culprit":
            return f"opsready remedy stop-culprit --pgid {pgid if pgid is not None else '<PGID>'}"
        return f"opsready remedy {self.action}{args.get(self.action, '')}"


@dataclass(frozen=True)
class Question:
    """An inner node: a question, the probe that answers it, and where each outcome leads."""

    id: str
    text: str
    call: ProbeCall
    timeout: float
    ok: str
    failed: str
    hung: str  # '' when a hang goes where a failure goes
    answers: tuple[tuple[str, str], ...]
    loc: Loc
    branch_locs: tuple[tuple[str, Loc], ...] = ()
    not_applicable: str = ""  # where to go when the platform cannot answer the probe; '' when to ``ok``

    def branches(self) -> tuple[tuple[str, str], ...]:
        """(outcome, node id) for every outcome written, in a stable order."""
        found = [("ok", self.ok), ("failed", self.failed), *self.answers]
        if self.hung:
            found.append((HUNG, self.hung))
        if self.not_applicable:
            found.append((NOT_APPLICABLE, self.not_applicable))
        return tuple(found)

    def unanswerable(self) -> str:
        """The node the walk goes on to when the platform cannot answer this question's probe."""
        return self.not_applicable or self.ok

    def next_for(self, outcome: str, answer: str = "") -> str:
        """The node an outcome leads to: ok, hung, or failed with the probe's answer (if the tree names it)."""
        if outcome == "ok":
            return self.ok
        answers = dict(self.answers)
        if outcome == HUNG:
            return self.hung or answers.get("timeout", self.failed)
        return answers.get(answer, self.failed)

    def branch_loc(self, outcome: str) -> Loc:
        """Where an outcome's target was written."""
        return dict(self.branch_locs).get(outcome, self.loc)


@dataclass(frozen=True)
class Diagnosis:
    """A leaf: what is wrong, how bad, what evidence to collect, which runbook to follow and its remedy."""

    id: str
    text: str
    category: DiagnosisCategory
    severity: SeverityName | Literal["none"]  # none: only a healthy diagnosis
    evidence: tuple[str, ...]
    runbook: RunbookLink
    remedy: Remedy
    loc: Loc

    @property
    def healthy(self) -> bool:
        """No problem was found."""
        return self.category == "healthy"


@dataclass(frozen=True)
class Tree:
    """A validated decision tree."""

    path: str
    root: str
    questions: Mapping[str, Question]
    diagnoses: Mapping[str, Diagnosis]
    time_limit: float  # a walk never takes longer than this

    def question(self, node: str) -> Question | None:
        """The question with this id, if it is one."""
        return self.questions.get(node)

    def diagnosis(self, node: str) -> Diagnosis:
        """The diagnosis with this id."""
        return self.diagnoses[node]

    def longest(self) -> float:
        """The sum of probe timeouts on the slowest path from the root to a leaf."""
        memo: dict[str, float] = {}

        def cost(node: str) -> float:
            here = self.questions.get(node)
            if here is None:
                return 0.0
            if node not in memo:
                memo[node] = here.timeout + max(cost(target) for _, target in here.branches())
            return memo[node]

        return cost(self.root)
