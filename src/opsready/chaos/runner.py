"""Run one experiment from the suite or the CLI: validate, guard, run with chaostoolkit, revert, measure, report.

The experiment is validated against the target before anything runs. chaostoolkit then runs it in this process
with the ``always`` rollback strategy, inside an activated session whose guard reverts every fault in a ``finally``
(the control does it first, on every outcome chaostoolkit knows). The timeline gets ``injected``, ``detected``,
``reverted`` and ``recovered``; time to detect and time to recover are derived from it. chaostoolkit's own journal
goes to ``<reports>/journals/``. If a signal stopped the run, :class:`Interrupted` is raised once all is reverted.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from opsready.chaos.experiment import Experiment, load_experiment
from opsready.chaos.guard import FaultGuard, FaultRecord
from opsready.chaos.session import Session, activated, stderr_say
from opsready.chaos.shield import Shield, Terminated
from opsready.config import Config
from opsready.safety import EntryPoint, check_destructive
from opsready.targets.faults import faults_of
from opsready.targets.protocol import Target
from opsready.timeline import Measurement, Timeline

Say = Callable[[str], None]
# chaostoolkit's run statuses, and ours for a run whose journal says none of them
RunStatus = Literal["completed", "failed", "aborted", "interrupted", "unknown"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)


class Interrupted(KeyboardInterrupt):
    """A signal stopped the experiment; every fault was reverted before this was raised."""

    def __init__(self, signum: int, result: ExperimentResult | None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.result = result


@dataclass(frozen=True)
class ExperimentResult:
    """What one experiment run did and measured (reports read this, never the target)."""

    name: str
    title: str
    status: RunStatus
    deviated: bool
    faults: tuple[FaultRecord, ...]
    measurements: tuple[Measurement, ...]
    fault_journal: Path | None
    chaos_journal: Path | None
    detected: bool
    recovered: bool
    seconds: float
    undetected: tuple[str, ...] = ()  # detect probes that did not see their fault within their time
    refused: str = ""  # why a fault was not injected (its detection probe showed it before the fault)

    @property
    def all_reverted(self) -> bool:
        """Every injected fault was reverted and verified."""
        return all(f.reverted_by and not f.error for f in self.faults)

    @property
    def passed(self) -> bool:
        """chaostoolkit completed without deviating, every detection probe saw its fault, no injection was refused
        and every fault was reverted."""
        return (
            self.status == "completed"
            and not self.deviated
            and not self.undetected
            and not self.refused
            and self.all_reverted
        )


def _status(value: object) -> RunStatus:
    """chaostoolkit's run status; anything else (no journal, a status added later) is 'unknown'."""
    for status in RUN_STATUSES:
        if value == status:
            return status
    return "unknown"


@contextmanager
def _forward_logs(say: Say) -> Iterator[None]:
    logger = logging.getLogger("chaostoolkit")
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: say(f"chaostoolkit: {record.getMessage()}")  # type: ignore[method-assign]
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _run_chaostoolkit(experiment: Experiment, say: Say) -> dict[str, Any]:
    from chaoslib.run import Runner
    from chaoslib.types import Strategy

    settings: dict[str, Any] = {"runtime": {"rollbacks": {"strategy": "always"}}}
    with _forward_logs(say), Runner(Strategy.DEFAULT) as runner:
        journal: dict[str, Any] = runner.run(experiment.data, settings=settings)
    return journal


def _write_chaos_journal(journal: dict[str, Any], directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(journal, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _measure(timeline: Timeline, config: Config) -> tuple[Measurement, ...]:
    found = []
    for name, start, end, target in (
        ("time to detect", "injected", "detected", config.slos.detect_within),
        ("time to revert", "injected", "reverted", None),
        ("time to recover", "reverted", "recovered", config.slos.healthy_within),
    ):
        if timeline.between(start, end) is not None:
            found.append(timeline.measure(name, start, end, target))
    return tuple(found)


def run_experiment(
    path: Path,
    config: Config,
    target: Target,
    *,
    timeline: Timeline | None = None,
    allow_destructive: bool = False,
    reports_dir: Path | None = None,
    say: Say = stderr_say,
    entry: EntryPoint = "experiment",
) -> ExperimentResult:
    """Validate and run one experiment; every fault is reverted before this returns or raises."""
    faults = faults_of(target)
    check_destructive(config, target, allow_destructive, entry=entry)
    experiment = load_experiment(path, faults.fault_kinds())
    timeline = timeline or Timeline(experiment.name)
    shield = Shield()
    shield.arm()  # from here on a signal is recorded and handled, never lost between two statements
    session = Session(
        config,
        target,
        timeline,
        experiment=str(path),
        hypothesis=experiment.hypothesis,
        say=say,
        shield=shield,
        detections=experiment.detections,
    )
    started = time.monotonic()
    journal: dict[str, Any] = {}
    escaped: int | None = None
    guard: FaultGuard | None = None
    try:
        with shield.critical():  # the journal exists before the first activity: a crash leaves a record
            guard = session.guard
            guard.keep_armed = True
        with activated(session):
            journal = _run_chaostoolkit(experiment, say)
    except KeyboardInterrupt as exc:  # one chaostoolkit did not catch: journals are still written below
        escaped = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    finally:
        if guard is not None:
            guard.close()
        else:
            shield.disarm()
    if guard is None:
        raise Interrupted(escaped or signal.SIGINT, None)
    directory = reports_dir or config.resolve(config.reports_dir) / "journals"
    chaos_journal = _write_chaos_journal(journal, directory, experiment.name) if journal else None
    result = ExperimentResult(
        name=experiment.name,
        title=experiment.title,
        status=_status(journal.get("status")),
        deviated=bool(journal.get("deviated", False)),
        faults=guard.records,
        measurements=_measure(timeline, config),
        fault_journal=guard.journal.path,
        chaos_journal=chaos_journal,
        detected=timeline.has("detected"),
        recovered=timeline.has("recovered"),
        seconds=time.monotonic() - started,
        undetected=tuple(session.undetected),
        refused=session.halted,
    )
    signum = guard.shield.interrupted_by or escaped
    if signum is not None:
        raise Interrupted(signum, result)
    return result


__all__ = ["ExperimentResult", "Interrupted", "Terminated", "run_experiment"]
