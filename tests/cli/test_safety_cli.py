"""Every entry point of the `opsready` command refuses and allows as the safety and lifecycle table says
(docs/design.md, "Safety and lifecycle").

Four targets: `sandbox` (disposable, not allowlisted), `lab` (disposable, allowlisted), `prod` (real kubernetes,
allowlisted) and `kept` (real, not allowlisted). No target ever runs here: the sandboxes are stopped and the clusters'
kubeconfig does not exist, so a command the rule lets through stops at its first contact with the cluster ("no
kubeconfig"), and none may create a state directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.suites import four_targets, kube_target

REPO = Path(__file__).resolve().parents[2]
# every command that can act destructively, by its entry point in the table
DESTRUCTIVE: dict[str, tuple[tuple[str, ...], ...]] = {
    "deploy": (("deploy", "1.1.0"),),
    "rollback": (("rollback", "--reason", "drill"),),
    "experiment": (("experiment", "run", "{root}/experiments/worker-stopped.yaml"),),
    "gameday": (("gameday", "{root}/gamedays/q4-2026.yaml", "--auto"),),
    "capacity": (("capacity", "run"), ("capacity", "find"), ("capacity", "scale", "3")),
    "maintenance": (("maintenance", "run", "log-rotation", "--force", "--reason", "drill"),),
    "remedy": (("remedy", "restart", "--component", "api"),),
    "incident": (("incident", "restart", "api"), ("incident", "reset-link", "edge"), ("incident", "mitigate", "x")),
}
COMMANDS = [(entry, command) for entry, commands in DESTRUCTIVE.items() for command in commands]
# commands that would start load against the target once allowed: their "allowed" row is shown by `scale`
LOADS = {("capacity", "run"), ("capacity", "find")}


@dataclass(frozen=True)
class Outcome:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """The four targets, and the repository's runbooks, experiments, game days and load tests."""
    (tmp_path / "opsready.yaml").write_text(four_targets(kube_target(str(tmp_path))), encoding="utf-8")
    for name in ("experiments", "runbooks", "gamedays", "loadtests"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def run(suite: Path, command: tuple[str, ...], *args: str) -> Outcome:
    """An opsready command in this process (its OPSREADY_* overrides unset); a traceback fails the test."""
    from opsready.cli.main import cli

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OPSREADY_")}
    argv = [part.format(root=suite) for part in command]
    if command == ("incident", "mitigate", "x"):
        argv[-1] = "incident-service-down"
    result = CliRunner(env=env).invoke(cli, [*argv, *args, "--config", str(suite / "opsready.yaml")])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def untouched(suite: Path) -> None:
    """No state directory of any target was created."""
    for name in ("st-sandbox", "st-lab", ".opsready"):
        assert not (suite / name).exists(), f"{name} was created"


@pytest.mark.parametrize(("entry", "command"), COMMANDS)
def test_a_target_not_allowlisted_is_refused_before_it_is_opened(
    suite: Path, entry: str, command: tuple[str, ...]
) -> None:
    """Disposable or real, with --allow-destructive or without: not in safety.destructive_targets, refused (exit 2)."""
    for target, flags in (("sandbox", ()), ("sandbox", ("--allow-destructive",)), ("kept", ("--allow-destructive",))):
        result = run(suite, command, "--target", target, *flags)
        assert result.returncode == 2, (entry, target, result.stderr)
        assert f"refused: target '{target}' is not in safety.destructive_targets of opsready.yaml" in result.stderr
    untouched(suite)


@pytest.mark.parametrize(("entry", "command"), COMMANDS)
def test_a_real_target_needs_the_flag(suite: Path, entry: str, command: tuple[str, ...]) -> None:
    """Allowlisted but real: refused without --allow-destructive; with it, the rule lets the command through (it then
    stops at the cluster, which here has no kubeconfig), and nobody asked whether the real target runs."""
    refused = run(suite, command, "--target", "prod")
    assert refused.returncode == 2, refused.stderr
    assert "on real kubernetes target 'prod' needs --allow-destructive" in refused.stderr
    if tuple(command[:2]) not in LOADS:
        allowed = run(suite, command, "--target", "prod", "--allow-destructive")
        assert "refused: " not in allowed.stderr.replace("refused: 'log-rotation' may not", ""), allowed.stderr
        assert "is not running" not in allowed.stderr
    untouched(suite)


@pytest.mark.parametrize(("entry", "command"), COMMANDS)
def test_a_stopped_disposable_target_is_refused_with_the_hint(
    suite: Path, entry: str, command: tuple[str, ...]
) -> None:
    """Allowlisted and disposable: allowed without the flag, but a command does not start a stopped target."""
    result = run(suite, command, "--target", "lab")
    assert result.returncode == 2, result.stderr
    assert "error: target 'lab' is not running" in result.stderr
    assert "hint: start it with: opsready sandbox up --target lab" in result.stderr
    untouched(suite)


@pytest.mark.parametrize("command", [("sandbox", "deploy", "1.1.0"), ("sandbox", "rollback")])
def test_the_raw_release_switch_obeys_the_rule(suite: Path, command: tuple[str, ...]) -> None:
    """`opsready sandbox deploy|rollback`: the allowlist, then the lifecycle; a real target is not the sandbox's."""
    refused = run(suite, command, "--target", "sandbox")
    assert refused.returncode == 2 and "is not in safety.destructive_targets" in refused.stderr
    stopped = run(suite, command, "--target", "lab")
    assert stopped.returncode == 2 and "opsready sandbox up --target lab" in stopped.stderr
    real = run(suite, command, "--target", "prod")
    assert real.returncode == 2 and "only manages disposable targets" in real.stderr
    untouched(suite)


@pytest.mark.parametrize("command", [("sandbox", "up"), ("sandbox", "down"), ("sandbox", "status")])
def test_the_sandbox_commands_never_open_a_real_target(suite: Path, command: tuple[str, ...]) -> None:
    """opsready never starts or stops a real target: refused before it is opened."""
    result = run(suite, command, "--target", "prod")
    assert result.returncode == 2
    assert "target 'prod' is a real kubernetes target" in result.stderr
    untouched(suite)


def test_recover_reverts_on_any_target_without_allowlist_or_flag(suite: Path) -> None:
    """Reverting is what makes a target safe: not allowlisted, real, stopped: it looks for journals and is not
    refused."""
    for target in ("sandbox", "kept"):
        result = run(suite, ("recover",), "--target", target)
        assert result.returncode == 0, result.stderr
        assert "nothing to recover (0 journal(s) checked)" in result.stdout
    untouched(suite)


def test_diagnose_takes_a_stopped_target_as_it_is(suite: Path) -> None:
    """A stopped sandbox that is not allowlisted: diagnosed (platform-down), not refused, not started."""
    result = run(suite, ("diagnose",), "--target", "sandbox")
    assert result.returncode == 1, result.stderr
    assert "Diagnosis: platform-down" in result.stdout
    assert "not running\nhint" not in result.stderr
    assert not (suite / "st-sandbox" / "supervisord.pid").exists()


def test_plain_chaos_run_obeys_the_same_rule(suite: Path) -> None:
    """The chaostoolkit extension's session: allowlist, then its own consent key, then the lifecycle."""
    from opsready.chaos.session import close_owned, current, existing
    from opsready.errors import EnvironmentProblem, UsageError

    def configuration(target: str, allow: bool = False) -> dict[str, object]:
        return {
            "opsready_config": str(suite / "opsready.yaml"),
            "opsready_target": target,
            "opsready_allow_destructive": allow,
        }

    with pytest.raises(UsageError, match=r"'sandbox' is not in safety\.destructive_targets"):
        current(configuration("sandbox", allow=True))
    with pytest.raises(UsageError, match="needs `opsready_allow_destructive: true`"):
        current(configuration("prod"))
    with pytest.raises(EnvironmentProblem, match="target 'lab' is not running"):
        current(configuration("lab"))
    assert existing() is None
    try:
        assert current(configuration("prod", allow=True)).target.name == "prod"
    finally:
        close_owned()
    untouched(suite)
