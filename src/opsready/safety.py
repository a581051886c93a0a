"""The one safety and lifecycle rule, as data: for every entry point and every kind of target, whether it may act
destructively, what that needs, and what happens to a stopped target.

* **Destructive actions** (deploys, rollbacks, faults, load, scaling, remedies, maintenance that changes the target)
  happen only on a target listed in ``safety.destructive_targets``, the sandbox included; on a ``real`` target they also
  need ``--allow-destructive`` for that command. ``recover`` only reverts faults opsready journaled, which is what makes
  a target safe again: it needs neither.
* **Lifecycle**: a run that owns its whole session (``pytest``, ``opsready gate``) starts a stopped *disposable* target
  and stops it afterwards, leaving the machine as it found it. A command an operator aims at a target acts on the
  target as it is and never changes whether it runs: on a stopped disposable target it refuses and says how to start
  it, because starting a sandbox for one deploy or diagnosis and stopping it again would throw away what the command
  did or hide what the operator came to see. ``diagnose`` and ``recover`` use a target as it is: a stopped target is
  what a diagnosis is there to find (``platform-down``), and reverting must work on a stopped target too. opsready
  never starts or stops a *real* target.
* **Culprits** (``opsready remedy stop-culprit``, a drill's prescribed remedy): a process group is stopped only when
  the target proves it its own (the holder of one of its faults), a fault journal of the target names it, or the user
  named it on the command line with ``--allow-destructive``; the target's platform and components, opsready itself
  and another target are never stopped as culprits (:func:`may_stop_group`).

``docs/design.md`` shows :func:`markdown_table`; a unit test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opsready.config import Config, TargetConfig
from opsready.config.suite import KINDS, TargetKind
from opsready.errors import EnvironmentProblem, UsageError
from opsready.targets.diagnostics import ProcessGroup
from opsready.targets.protocol import Say, Target, quiet

EntryPoint = Literal[
    "pytest",
    "gate",
    "deploy",
    "rollback",
    "experiment",
    "chaostoolkit",
    "recover",
    "gameday",
    "capacity",
    "maintenance",
    "remedy",
    "incident",
    "diagnose",
]
Acts = Literal["changes", "reverts", "reads"]  # what the entry point can do to a target
Stopped = Literal["start", "refuse", "as-is"]  # what it does with a stopped target
FLAG = "--allow-destructive"


@dataclass(frozen=True)
class EntryRule:
    """One entry point: its commands, what it can do to a target, and what it does with a stopped disposable one."""

    entry: EntryPoint
    commands: str
    acts: Acts
    stopped: Stopped
    flag: str = FLAG


RULES: tuple[EntryRule, ...] = (
    EntryRule("pytest", "`pytest` (scenarios marked `destructive`)", "changes", "start"),
    EntryRule("gate", "`opsready gate`, `make gate`", "changes", "start"),
    EntryRule("deploy", "`opsready deploy`, `opsready sandbox deploy`", "changes", "refuse"),
    EntryRule("rollback", "`opsready rollback`, `opsready sandbox rollback`", "changes", "refuse"),
    EntryRule("experiment", "`opsready experiment run`", "changes", "refuse"),
    EntryRule(
        "chaostoolkit",
        "plain `chaos run` with the opsready extension",
        "changes",
        "refuse",
        "`opsready_allow_destructive: true` in the experiment's configuration",
    ),
    EntryRule("recover", "`opsready recover`", "reverts", "as-is", "none"),
    EntryRule("gameday", "`opsready gameday`", "changes", "refuse"),
    EntryRule("capacity", "`opsready capacity run`, `find`, `scale`", "changes", "refuse"),
    EntryRule("maintenance", "`opsready maintenance run`", "changes", "refuse"),
    EntryRule("remedy", "`opsready remedy`", "changes", "refuse"),
    EntryRule("incident", "`opsready incident mitigate`, `restart`, `reset-link`", "changes", "refuse"),
    EntryRule("diagnose", "`opsready diagnose` (read-only)", "reads", "as-is", "none"),
)
_BY_ENTRY = {rule.entry: rule for rule in RULES}


@dataclass(frozen=True)
class Permission:
    """Whether an entry point may act destructively on a kind of target, and what that needs."""

    allowed: bool
    allowlist: bool  # the target must be in safety.destructive_targets
    flag: bool  # the command needs --allow-destructive (or the entry point's equivalent)

    def describe(self, flag: str) -> str:
        """The table cell."""
        if not self.allowed:
            return "never (read-only)"
        shown = f"`{flag}`" if flag.startswith("--") else flag
        needs = [n for n, on in (("allowlisted", self.allowlist), (shown, self.flag)) if on]
        return "yes, " + " and ".join(needs) if needs else "yes, always (reverting makes the target safe)"


def rule(entry: EntryPoint) -> EntryRule:
    """The rule of one entry point."""
    return _BY_ENTRY[entry]


def permission(entry: EntryPoint, kind: TargetKind) -> Permission:
    """What a destructive action of ``entry`` on a ``kind`` target needs."""
    acts = rule(entry).acts
    if acts == "reads":
        return Permission(allowed=False, allowlist=False, flag=False)
    if acts == "reverts":
        return Permission(allowed=True, allowlist=False, flag=False)
    return Permission(allowed=True, allowlist=True, flag=kind == "real")


def when_stopped(entry: EntryPoint, kind: TargetKind) -> Stopped:
    """What ``entry`` does with a stopped ``kind`` target: a real one is never started, stopped or waited for."""
    return rule(entry).stopped if kind == "disposable" else "as-is"


def check_destructive(
    config: Config,
    target: Target | TargetConfig,
    allow_destructive: bool,
    what: str = "injecting faults",
    *,
    entry: EntryPoint,
) -> None:
    """Refuse ``what`` on ``target`` unless the rule allows it; works on the configuration alone, so a command can
    refuse before it opens the target."""
    allowed = permission(entry, target.kind)
    if not allowed.allowed:
        raise UsageError(f"refused: {what}: 'opsready {entry}' never changes a target")
    if allowed.allowlist and target.name not in config.safety.destructive_targets:
        raise UsageError(
            f"refused: target '{target.name}' is not in safety.destructive_targets of {config.path.name}",
            hint=f"add it there if {what} may change it",
        )
    if allowed.flag and not allow_destructive:
        raise UsageError(
            f"refused: {what} on {target.kind} {target.platform} target '{target.name}' needs {rule(entry).flag}"
        )


def may_stop_group(group: ProcessGroup, *, journaled: str, named: bool, allow_destructive: bool) -> str:
    """The one rule for stopping a process group as a culprit; returns on what grounds it may be stopped, or raises
    a :class:`UsageError` (exit 2) naming the group and why not, before anything is signalled.

    ``journaled`` says which fault journal of the target names the group ('' when none does); ``named``: the user
    gave its number on the command line (a diagnosis that blames a group does not name it)."""
    who = group.describe()
    if group.owner == "protected":
        raise UsageError(f"refused: {who} is {group.detail}: a culprit remedy never stops it")
    if group.owner == "target":
        return f"{who} is the target's: {group.detail}"
    if journaled:
        return f"{who} is journaled for the target: {journaled}"
    if named and allow_destructive:
        return f"{who} was named on the command line with {FLAG}"
    stop = f"opsready remedy stop-culprit --pgid {group.pgid} {FLAG}"
    if named:
        raise UsageError(
            f"refused: {who} is neither the target's nor journaled for it: "
            f"stopping someone else's process needs {FLAG}",
            hint=f"if it must stop, say so: {stop}",
        )
    raise UsageError(
        f"refused: {who}, blamed by the diagnosis, is neither the target's nor journaled for it: only a person may "
        "decide to stop someone else's process",
        hint=f"look at it first; if it must stop: {stop}",
    )


def start_hint(target: Target) -> str:
    """How to start a stopped target from the command line."""
    return f"start it with: opsready sandbox up --target {target.name}"


def ensure_running(entry: EntryPoint, target: Target, *, may_start: bool = True, say: Say = quiet) -> bool:
    """Apply the lifecycle rule to an opened target; True when this call started it (the caller stops it after).

    ``may_start=False`` (pytest's ``--start-target=never``) turns a start into a refusal."""
    stopped = when_stopped(entry, target.kind)
    if stopped == "as-is" or target.is_running():
        return False
    if stopped == "refuse" or not may_start:
        raise EnvironmentProblem(f"target '{target.name}' is not running", hint=start_hint(target))
    try:
        target.start(say)
    except BaseException:
        target.stop(say)  # a half-started target is stopped again, never left behind
        raise
    return True


_STOPPED_CELLS = {
    "start": "started for the run, stopped after it",
    "refuse": "refused, with the hint `opsready sandbox up`",
    "as-is": "used as it is (never started or stopped)",
}


def table_rows() -> tuple[tuple[str, ...], ...]:
    """One row per entry point and kind of target: entry, commands, kind, destructive action, a stopped target."""
    rows = []
    for entry_rule in RULES:
        for kind in KINDS:
            cell = permission(entry_rule.entry, kind).describe(entry_rule.flag)
            stopped = _STOPPED_CELLS[when_stopped(entry_rule.entry, kind)]
            rows.append((entry_rule.entry, entry_rule.commands, kind, cell, stopped))
    return tuple(rows)


def markdown_table() -> str:
    """The rule as the Markdown table in docs/design.md."""
    head = ("Entry point", "Commands", "Target", "Destructive action", "A stopped target")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows()]
    return "\n".join(lines) + "\n"
