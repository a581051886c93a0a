"""Walk the tree against a live target: ask each question with its probe, follow the outcome, stop at a diagnosis.

The walk only observes. Every probe runs in a thread of its own and is waited for at most its question's timeout
(and never past the walk's time limit): a probe that does not answer in time is recorded as ``hung``, which is
itself evidence (a frozen process, a blackholed link), and the walk goes on along the question's ``hung`` branch.
A hung probe's thread is left to finish by itself; every probe has timeouts of its own, so it does.

A question whose probe needs what the target's platform cannot offer is not asked: the walk records it as
:class:`NotApplicable` with the reason, in the order met, and goes on along the question's ``not_applicable`` branch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Generic, Literal, TypeVar

from opsready.errors import OpsreadyError
from opsready.observation import Observation
from opsready.targets.diagnostics import unmet
from opsready.targets.protocol import Target
from opsready.troubleshooting.model import HUNG, Diagnosis, Question, Tree

T = TypeVar("T")
CULPRIT_TIMEOUT = 4.0
CUT: Final = "cut"
# how a question ended; ``cut`` is the walk's own time limit stopping it
StepOutcome = Literal["ok", "failed", "hung", "error", "cut"]


@dataclass(frozen=True)
class Bounded(Generic[T]):
    """What a call run under a timeout gave: its value, its exception, or neither (it did not finish)."""

    value: T | None
    error: BaseException | None
    finished: bool
    seconds: float


def run_bounded(fn: Callable[[], T], timeout: float, name: str = "opsready-probe") -> Bounded[T]:
    """Call ``fn`` in a daemon thread and wait at most ``timeout`` seconds for it."""
    box: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported to the caller, whatever it was
            box["error"] = exc
        finally:
            done.set()

    started = time.monotonic()
    threading.Thread(target=work, name=name, daemon=True).start()
    finished = done.wait(max(0.0, timeout))
    spent = time.monotonic() - started
    if not finished:
        return Bounded(None, None, False, spent)
    error = box.get("error")
    return Bounded(box.get("value"), error if isinstance(error, BaseException) else None, True, spent)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Step:
    """One question asked: the probe's evidence, the outcome and where it led."""

    node: str
    question: str
    probe: str
    outcome: StepOutcome
    answer: str  # the probe's answer when it failed ('refused', 'frozen', ...), else ''
    evidence: str
    next: str
    seconds: float


@dataclass(frozen=True)
class NotApplicable:
    """A question the walk met but did not ask: its probe needs what the target's platform cannot offer."""

    node: str
    question: str
    probe: str
    reasons: tuple[str, ...]  # 'processes: why the platform lacks it', one per unmet need
    next: str


@dataclass(frozen=True)
class Culprit:
    """The process group a diagnosis blames (a CPU or memory hog, a client holding every connection)."""

    pgid: int
    command: str
    measure: str


@dataclass(frozen=True)
class Walk:
    """A finished walk: the path, the diagnosis (None when the time limit ended it first), and how long it took."""

    tree: str
    target: str
    base_url: str
    started: str  # wall clock, ISO 8601 UTC
    steps: tuple[Step, ...]
    diagnosis: Diagnosis | None
    culprit: Culprit | None
    seconds: float
    time_limit: float
    platform: str = ""
    not_applicable: tuple[NotApplicable, ...] = ()  # questions met but not asked, in the order met

    @property
    def complete(self) -> bool:
        """Whether a diagnosis was reached."""
        return self.diagnosis is not None

    @property
    def healthy(self) -> bool:
        """Whether the diagnosis is that nothing is wrong."""
        return self.diagnosis is not None and self.diagnosis.healthy

    def path(self) -> tuple[str, ...]:
        """Node ids from the root to the diagnosis."""
        return tuple(s.node for s in self.steps) + ((self.diagnosis.id,) if self.diagnosis else ())

    def remedy_command(self) -> str:
        """The command the diagnosis's remedy stands for ('' when there is nothing to do)."""
        if self.diagnosis is None:
            return ""
        pgid = self.culprit.pgid if self.culprit else None
        return self.diagnosis.remedy.command(pgid, reason=f"troubleshooting: {self.diagnosis.id}")


def _ask(question: Question, target: Target, timeout: float) -> Step:
    result = run_bounded(lambda: question.call.run(target), timeout)
    probe = question.call.probe
    if not result.finished:
        evidence = f"{probe}: no answer within {timeout:g} s (hung)"
        return Step(question.id, question.text, probe, HUNG, "", evidence, question.next_for(HUNG), result.seconds)
    if result.error is not None or not isinstance(result.value, Observation):
        what = f"{type(result.error).__name__}: {result.error}" if result.error else "no observation"
        evidence = f"{probe}: could not observe ({what[:300]})"
        return Step(question.id, question.text, probe, "error", "", evidence, question.failed, result.seconds)
    observation = result.value
    if observation.ok:
        return Step(question.id, question.text, probe, "ok", "", observation.describe(), question.ok, result.seconds)
    answer = observation.value if isinstance(observation.value, str) else ""
    following = question.next_for("failed", answer)
    return Step(question.id, question.text, probe, "failed", answer, observation.describe(), following, result.seconds)


def _base_url(target: Target) -> str:
    try:
        return target.base_url
    except OpsreadyError:  # a target that is down may not know its URL: the walk says so in its steps
        return ""


def walk(
    tree: Tree,
    target: Target,
    *,
    time_limit: float | None = None,
    find_culprit: Callable[[Target, str], Culprit | None] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> Walk:
    """Walk ``tree`` from its root against ``target`` (read-only), within ``time_limit`` seconds at most."""
    limit = tree.time_limit if time_limit is None else min(time_limit, tree.time_limit)
    started_wall = datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    started = time.monotonic()
    deadline = started + limit
    steps: list[Step] = []
    passed_over: list[NotApplicable] = []
    node = tree.root
    diagnosis: Diagnosis | None = None
    while True:
        question = tree.question(node)
        if question is None:
            diagnosis = tree.diagnosis(node)
            break
        reasons = unmet(target, question.call.needs)
        if reasons:
            skipped = NotApplicable(node, question.text, question.call.probe, reasons, question.unanswerable())
            passed_over.append(skipped)
            node = skipped.next
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            break
        step = _ask(question, target, min(question.timeout, left))
        if step.outcome == HUNG and left < question.timeout:
            # the walk's limit cut the question short: that says nothing about the probe, so no branch is taken
            evidence = f"{step.probe}: cut off by the walk's time limit after {step.seconds:.1f} s"
            step = Step(step.node, step.question, step.probe, CUT, "", evidence, step.node, step.seconds)
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if step.outcome == CUT:
            break
        node = step.next
    culprit = None
    if diagnosis is not None and diagnosis.remedy.culprit and find_culprit is not None:
        what = diagnosis.remedy.culprit
        found = run_bounded(lambda: find_culprit(target, what), CULPRIT_TIMEOUT, "opsready-culprit")
        culprit = found.value if found.finished and found.error is None else None
    return Walk(
        tree=tree.path,
        target=target.name,
        base_url=_base_url(target),
        started=started_wall,
        steps=tuple(steps),
        diagnosis=diagnosis,
        culprit=culprit,
        seconds=time.monotonic() - started,
        time_limit=limit,
        platform=target.platform,
        not_applicable=tuple(passed_over),
    )
