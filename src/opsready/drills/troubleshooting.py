"""Troubleshooting drills and ``opsready diagnose``: the decision tree meets the runbooks it links, the report
package's redaction and the deploy package's rollback.

The walk itself is read-only (:mod:`opsready.troubleshooting.walk`); a remedy is applied only when asked, with the
rollback done as the deploy runbook says, so a drill remedies like an operator would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opsready.chaos.readback import journaled_group
from opsready.config import Config
from opsready.deploy.procedure import Procedures
from opsready.errors import UsageError, ValidationError
from opsready.report.redact import redact
from opsready.runbooks.parse import find_runbook_files, read_runbook
from opsready.targets.diagnostics import ProcessGroup
from opsready.targets.faults import FaultInjectable
from opsready.targets.protocol import Target
from opsready.timeline import Timeline
from opsready.troubleshooting.evidence import collect, find_culprit
from opsready.troubleshooting.load import check_tree
from opsready.troubleshooting.model import Remedy, Tree
from opsready.troubleshooting.remedy import RemedyResult, apply_remedy
from opsready.troubleshooting.render import to_json
from opsready.troubleshooting.walk import Step, Walk, walk

TREE = Path("runbooks") / "troubleshooting-tree.yaml"


def tree_path(config: Config, tree: Path | None = None) -> Path:
    """The tree to walk: ``tree``, else runbooks/troubleshooting-tree.yaml beside opsready.yaml."""
    return tree if tree is not None else config.resolve(TREE)


def known_runbooks(directory: Path) -> dict[str, Path]:
    """Runbook ids and their files (a runbook with broken front matter still declares its id)."""
    if not directory.is_dir():
        return {}
    reads = (read_runbook(path) for path in find_runbook_files(directory))
    return {read.declared_id: Path(read.path) for read in reads if read.declared_id}


def check_tree_at(path: Path) -> tuple[Tree | None, tuple[ValidationError, ...]]:
    """Validate the tree at ``path`` and its links to the runbooks around it (it lives among them)."""
    return check_tree(path, known_runbooks(path.parent))


def diagnose(
    tree: Tree, target: Target, *, time_limit: float | None = None, on_step: Callable[[Step], None] | None = None
) -> Walk:
    """Walk the tree against the target (read-only), naming the culprit process group where a node asks for one."""
    return walk(tree, target, time_limit=time_limit, find_culprit=find_culprit, on_step=on_step)


def collect_evidence(target: Target, result: Walk, directory: Path) -> tuple[Path, ...]:
    """Write the walk's evidence bundle (logs, processes, connections, DB activity, metrics) into ``directory``,
    with every secret redacted; returns the files written."""
    return collect(target, result, directory, redact, redact(to_json(result)))


def journal_lookup(target: Target) -> Callable[[ProcessGroup], str]:
    """Which fault journal of ``target`` names a process group (the chaos package's journals; a target that injects
    no faults journals none)."""
    if not isinstance(target, FaultInjectable):
        return lambda group: ""
    directory = target.fault_journal_dir()
    return lambda group: journaled_group(directory, group)


def apply_named(target: Target, remedy: Remedy, *, pgid: int | None, allow_destructive: bool) -> RemedyResult:
    """A remedy a person asked for on the command line (``opsready remedy``): a ``pgid`` there is one they named."""
    return apply_remedy(
        target,
        remedy,
        pgid=pgid,
        named=pgid is not None,
        allow_destructive=allow_destructive,
        journaled=journal_lookup(target),
    )


def apply_prescribed(config: Config, target: Target, result: Walk, timeline: Timeline) -> RemedyResult:
    """Apply the remedy the diagnosis prescribes (its runbook's), against the culprit it blamed (stopped only when
    it is the target's or journaled for it: a drill never decides to stop someone else's process); a rollback goes
    through the deploy procedure, as an operator's would."""
    if result.diagnosis is None:
        raise UsageError("the walk reached no diagnosis, so there is no remedy to apply")
    procedures = Procedures(config, target, timeline)
    return apply_remedy(
        target,
        result.diagnosis.remedy,
        pgid=result.culprit.pgid if result.culprit else None,
        journaled=journal_lookup(target),
        reason=f"troubleshooting drill: {result.diagnosis.id}",
        rollback=procedures.rollback,
    )
