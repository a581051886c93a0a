"""The safety and lifecycle rule (opsready.safety): every row of the table, the checks built on it, and the table in
docs/design.md kept equal to the data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from opsready.config import Config, TargetKind, parse_config
from opsready.errors import ConfigError, EnvironmentProblem, OpsreadyError, UsageError
from opsready.safety import (
    RULES,
    EntryPoint,
    Permission,
    check_destructive,
    ensure_running,
    markdown_table,
    permission,
    when_stopped,
)
from opsready.targets.protocol import Say, quiet
from opsready.yamlsrc import parse_yaml

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"
CHANGES = ("pytest", "gate", "deploy", "rollback", "experiment", "chaostoolkit", "gameday", "capacity")
CHANGES += ("maintenance", "remedy", "incident")
STARTS = ("pytest", "gate")
# the rule as the issue states it, written out independently of the module's data
EXPECTED: dict[tuple[str, str], tuple[Permission, str]] = {}
for _entry in CHANGES:
    _stopped = "start" if _entry in STARTS else "refuse"
    EXPECTED[(_entry, "disposable")] = (Permission(allowed=True, allowlist=True, flag=False), _stopped)
    EXPECTED[(_entry, "real")] = (Permission(allowed=True, allowlist=True, flag=True), "as-is")
for _kind in ("disposable", "real"):
    EXPECTED[("recover", _kind)] = (Permission(allowed=True, allowlist=False, flag=False), "as-is")
    EXPECTED[("diagnose", _kind)] = (Permission(allowed=False, allowlist=False, flag=False), "as-is")


def config(allowlist: str = "[lab, prod]") -> Config:
    """Two disposable sandboxes (one allowlisted) and two real kubernetes targets (one allowlisted)."""
    kube = "    platform: kubernetes\n    namespace: orders\n"
    text = (
        "version: 1\ntargets:\n"
        "  sandbox:\n    platform: sandbox\n"
        "  lab:\n    platform: sandbox\n"
        f"  prod:\n{kube}"
        f"  kept:\n{kube}"
        f"safety:\n  destructive_targets: {allowlist}\n"
    )
    return parse_config(parse_yaml(text, "opsready.yaml"), Path("opsready.yaml"))


def test_the_table_covers_every_entry_point_the_issue_names() -> None:
    """pytest, gate, deploy, rollback, experiment, recover, gameday, capacity, maintenance, remedy, diagnose (and the
    two more entry points that act on targets: plain `chaos run` and `opsready incident`)."""
    assert {r.entry for r in RULES} == {entry for entry, _ in EXPECTED}
    assert len(RULES) == len({r.entry for r in RULES}), "an entry point listed twice"


@pytest.mark.parametrize(("entry", "kind"), sorted(EXPECTED))
def test_every_row_of_the_rule(entry: EntryPoint, kind: TargetKind) -> None:
    """Each (entry point, kind of target): what a destructive action needs and what happens to a stopped target."""
    wanted_permission, wanted_stopped = EXPECTED[(entry, kind)]
    assert permission(entry, kind) == wanted_permission
    assert when_stopped(entry, kind) == wanted_stopped


@pytest.mark.parametrize("entry", CHANGES)
def test_an_entry_point_that_changes_targets_refuses_what_is_not_allowlisted(entry: EntryPoint) -> None:
    """The sandbox is no exception: not allowlisted, it is refused, with --allow-destructive or without."""
    cfg = config()
    for name in ("sandbox", "kept"):
        for flag in (False, True):
            with pytest.raises(UsageError, match=f"refused: target '{name}' is not in safety.destructive_targets"):
                check_destructive(cfg, cfg.target(name), flag, entry=entry)


@pytest.mark.parametrize("entry", CHANGES)
def test_a_real_target_needs_the_flag_and_a_disposable_one_does_not(entry: EntryPoint) -> None:
    """Allowlisted: the disposable target passes without the flag; the real one only with it."""
    cfg = config()
    check_destructive(cfg, cfg.target("lab"), False, entry=entry)
    with pytest.raises(UsageError, match="refused: x on real kubernetes target 'prod' needs"):
        check_destructive(cfg, cfg.target("prod"), False, "x", entry=entry)
    check_destructive(cfg, cfg.target("prod"), True, entry=entry)


def test_recover_reverts_anywhere_and_diagnose_never_changes_anything() -> None:
    """recover needs neither the allowlist nor the flag; a destructive check from diagnose is a refusal."""
    cfg = config("[]")
    for name in ("sandbox", "kept"):
        check_destructive(cfg, cfg.target(name), False, "reverting faults", entry="recover")
        with pytest.raises(UsageError, match="never changes a target"):
            check_destructive(cfg, cfg.target(name), True, entry="diagnose")


def test_the_flag_is_named_for_chaostoolkit_in_its_own_terms() -> None:
    """Plain `chaos run` has no command line of its own: its consent is a configuration key of the experiment."""
    cfg = config()
    with pytest.raises(UsageError, match="opsready_allow_destructive: true"):
        check_destructive(cfg, cfg.target("prod"), False, entry="chaostoolkit")


@dataclass
class Lifecycle:
    """A target double with only a lifecycle, recording what was asked of it."""

    kind: TargetKind
    running: bool = False
    fail_start: bool = False
    name: str = "t"
    platform: str = "double"
    calls: list[str] = field(default_factory=list)

    def is_running(self) -> bool:
        self.calls.append("is_running")
        return self.running

    def start(self, say: Say = quiet) -> None:
        self.calls.append("start")
        if self.fail_start:
            raise EnvironmentProblem("port taken")
        self.running = True

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        self.calls.append("stop")
        self.running = False


def _ensure(entry: EntryPoint, target: Lifecycle, may_start: bool = True) -> bool:
    return ensure_running(entry, target, may_start=may_start)  # type: ignore[arg-type]  # a lifecycle-only double


@pytest.mark.parametrize("entry", STARTS)
def test_pytest_and_the_gate_start_a_stopped_disposable_target(entry: EntryPoint) -> None:
    """Started (the caller stops it: True); a running one is left alone (False); never, with may_start=False."""
    stopped = Lifecycle("disposable")
    assert _ensure(entry, stopped) is True and stopped.calls == ["is_running", "start"]
    running = Lifecycle("disposable", running=True)
    assert _ensure(entry, running) is False and running.calls == ["is_running"]
    refused = Lifecycle("disposable")
    with pytest.raises(EnvironmentProblem, match="target 't' is not running") as info:
        _ensure(entry, refused, may_start=False)
    assert info.value.hint == "start it with: opsready sandbox up --target t"
    assert refused.calls == ["is_running"]


def test_a_failed_start_is_stopped_again() -> None:
    """Half a target is never left behind: the error goes on, after stop."""
    target = Lifecycle("disposable", fail_start=True)
    with pytest.raises(OpsreadyError, match="port taken"):
        _ensure("pytest", target)
    assert target.calls == ["is_running", "start", "stop"]


@pytest.mark.parametrize("entry", [e for e in CHANGES if e not in STARTS])
def test_commands_refuse_a_stopped_disposable_target_with_the_hint(entry: EntryPoint) -> None:
    """Never started by a command: refused with how to start it; a running one passes."""
    target = Lifecycle("disposable")
    with pytest.raises(EnvironmentProblem, match="not running") as info:
        _ensure(entry, target)
    assert "opsready sandbox up" in str(info.value.hint)
    assert target.calls == ["is_running"]
    assert _ensure(entry, Lifecycle("disposable", running=True)) is False


@pytest.mark.parametrize("entry", [r.entry for r in RULES])
def test_a_real_target_is_never_asked_started_or_stopped(entry: EntryPoint) -> None:
    """Whatever the entry point: a real target is used as it is, without even a look at whether it runs."""
    target = Lifecycle("real")
    assert _ensure(entry, target) is False
    assert target.calls == []


@pytest.mark.parametrize("entry", ["recover", "diagnose"])
def test_recover_and_diagnose_use_a_stopped_disposable_target_as_it_is(entry: EntryPoint) -> None:
    """A stopped target is what a diagnosis finds, and reverting must work on it: not started, not refused."""
    target = Lifecycle("disposable")
    assert _ensure(entry, target) is False
    assert target.calls == []


def test_the_kind_comes_from_the_platform_unless_configured() -> None:
    """The sandbox is disposable, any other platform real; `kind:` overrides either, and a bad one names its line."""
    cfg = config()
    assert [t.kind for t in cfg.targets] == ["disposable", "disposable", "real", "real"]
    text = "version: 1\ntargets:\n  ci:\n    platform: kubernetes\n    kind: disposable\n  s:\n    platform: sandbox\n"
    text += "    kind: real\n"
    overridden = parse_config(parse_yaml(text, "opsready.yaml"), Path("opsready.yaml"))
    assert [t.kind for t in overridden.targets] == ["disposable", "real"]
    assert "kind" not in overridden.targets[0].options, "kind is not a platform option"
    bad = "version: 1\ntargets:\n  s:\n    platform: sandbox\n    kind: throwaway\n"
    with pytest.raises(ConfigError, match="'kind' must be one of disposable, real") as info:
        parse_config(parse_yaml(bad, "opsready.yaml"), Path("opsready.yaml"))
    assert info.value.loc is not None and info.value.loc.line == 5


def test_the_table_in_the_design_document_is_the_rule() -> None:
    """docs/design.md shows exactly what opsready.safety decides (regenerate it with markdown_table())."""
    text = DESIGN.read_text(encoding="utf-8")
    found = re.search(r"<!-- safety-table:begin -->\n(.*?)<!-- safety-table:end -->", text, re.DOTALL)
    assert found is not None, "docs/design.md lost its safety table markers"
    assert found.group(1) == markdown_table()
