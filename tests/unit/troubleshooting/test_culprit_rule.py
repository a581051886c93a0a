"""The one rule for stopping a culprit (opsready.safety.may_stop_group) and the one path that applies it
(troubleshooting.remedy.apply_remedy): every branch, and nothing is signalled when the rule refuses.

The sandbox's own proof (which group is its fault holder, which is protected, which is a stranger) is read from
real processes this test starts in process groups of their own and kills by pid when it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from opsready.errors import UsageError
from opsready.processes import ProcessIdentity
from opsready.safety import FLAG, may_stop_group
from opsready.sandbox.faults.owned import HOLDER_MODULE
from opsready.sandbox.guide_remedies import SandboxRemedies
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.targets.diagnostics import GroupOwner, ProcessGroup
from opsready.troubleshooting.model import Remedy
from opsready.troubleshooting.remedy import apply_remedy

STOP = Remedy("stop-culprit", culprit="cpu")


def group(owner: GroupOwner, detail: str = "", fault_id: str = "") -> ProcessGroup:
    me = ProcessIdentity.of(os.getpid())
    assert me is not None
    return ProcessGroup(4242, (me,), "sleep 30", owner, detail, fault_id, time.time())


@pytest.mark.parametrize(
    ("owner", "journaled", "named", "flag", "grounds"),
    [
        ("target", "", False, False, "is the target's: the holder of fault f1"),  # (a) the target's own proof
        ("target", "", True, False, "is the target's"),
        ("none", "fault cpu-hog-1 (r-1) journaled at j.jsonl:3", False, False, "is journaled for the target"),  # (b)
        ("none", "fault cpu-hog-1 (r-1) journaled at j.jsonl:3", True, False, "is journaled for the target"),
        ("none", "", True, True, f"was named on the command line with {FLAG}"),  # (c)
    ],
)
def test_a_group_may_be_stopped_on_one_of_three_grounds(
    owner: GroupOwner, journaled: str, named: bool, flag: bool, grounds: str
) -> None:
    """The target proves it its own, a journal of the target names it, or a person named it with the flag."""
    found = may_stop_group(
        group(owner, "the holder of fault f1" if owner == "target" else ""),
        journaled=journaled,
        named=named,
        allow_destructive=flag,
    )
    assert found.startswith("process group 4242 (sleep 30) ") and grounds in found


@pytest.mark.parametrize(
    ("named", "flag", "message"),
    [
        (True, False, f"is neither the target's nor journaled for it: stopping someone else's process needs {FLAG}"),
        (False, False, "blamed by the diagnosis, is neither the target's nor journaled for it"),
        (False, True, "blamed by the diagnosis, is neither the target's nor journaled for it"),  # the flag alone
    ],
)
def test_someone_elses_group_is_refused_unless_a_person_names_it_with_the_flag(
    named: bool, flag: bool, message: str
) -> None:
    """A stranger: refused with its number and the command that would stop it, whether blamed or named."""
    with pytest.raises(UsageError) as refused:
        may_stop_group(group("none"), journaled="", named=named, allow_destructive=flag)
    assert refused.value.exit_code == 2
    assert "refused: process group 4242 (sleep 30)" in refused.value.message and message in refused.value.message
    assert refused.value.hint is not None and f"--pgid 4242 {FLAG}" in refused.value.hint


@pytest.mark.parametrize(("journaled", "named", "flag"), [("", True, True), ("fault x journaled at j:1", True, True)])
def test_a_protected_group_is_never_stopped(journaled: str, named: bool, flag: bool) -> None:
    """The platform, opsready itself, another target: refused whatever names it and whatever flag is given."""
    protected = group("protected", "part of the sandbox")
    with pytest.raises(UsageError, match=r"refused: process group 4242 \(sleep 30\) is part of the sandbox"):
        may_stop_group(protected, journaled=journaled, named=named, allow_destructive=flag)


@dataclass
class FakeRemedies:
    """RemedyOps that records what it is asked; the group it reports is given."""

    found: ProcessGroup
    stopped: list[ProcessGroup] = field(default_factory=list)

    def process_group(self, pgid: int) -> ProcessGroup:
        assert pgid == self.found.pgid
        return self.found

    def stop_group(self, group: ProcessGroup, timeout: float) -> tuple[int, ...]:
        self.stopped.append(group)
        return tuple(m.pid for m in group.members)

    def resume(self, component: str) -> tuple[int, ...]:
        raise AssertionError("not called")

    def end_blocking_sessions(self, timeout: float) -> tuple[int, ...]:
        raise AssertionError("not called")


@dataclass
class FakeTarget:
    """A target offering troubleshooting remedies only."""

    ops: FakeRemedies

    def diagnostics(self) -> object:
        raise AssertionError("not called")

    def remedies(self) -> FakeRemedies:
        return self.ops


def test_apply_remedy_asks_the_rule_before_anything_is_signalled() -> None:
    """Blamed by a diagnosis and in no journal: refused, stop_group never called; the journal lookup then names
    it and it is stopped, the grounds in what the remedy reports."""
    ops = FakeRemedies(group("none"))
    target = FakeTarget(ops)
    with pytest.raises(UsageError, match="blamed by the diagnosis"):
        apply_remedy(target, STOP, pgid=4242, journaled=lambda g: "")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=f"needs {FLAG}"):
        apply_remedy(target, STOP, pgid=4242, named=True, journaled=lambda g: "")  # type: ignore[arg-type]
    assert ops.stopped == []
    done = apply_remedy(target, STOP, pgid=4242, journaled=lambda g: f"fault f1 names {g.pgid}")  # type: ignore[arg-type]
    assert ops.stopped == [ops.found]
    assert "stopped process group 4242" in done.done and "journaled for the target: fault f1 names 4242" in done.done


def test_without_a_journal_lookup_only_the_targets_own_or_a_named_group_is_stopped() -> None:
    """A caller that passes no lookup cannot claim a journal: a stranger needs naming and the flag."""
    ops = FakeRemedies(group("none"))
    with pytest.raises(UsageError, match="blamed by the diagnosis"):
        apply_remedy(FakeTarget(ops), STOP, pgid=4242)  # type: ignore[arg-type]
    apply_remedy(FakeTarget(ops), STOP, pgid=4242, named=True, allow_destructive=True)  # type: ignore[arg-type]
    assert len(ops.stopped) == 1


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """A sandbox that was never started: its proof of ownership needs no running platform."""
    return Sandbox(SandboxOptions(state_dir=tmp_path / "state", ports="auto"))


def _spawn(argv: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, start_new_session=True)
    try:
        assert ProcessIdentity.of_started(proc.pid) is not None, "the process did not start"
        yield proc
    finally:
        proc.kill()  # our own child, by pid
        proc.wait(10)


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """Someone else's process: a sleep in a process group of its own."""
    yield from _spawn(["sleep", "30"])


@pytest.fixture
def holder_lookalike(sandbox: Sandbox) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line is a holder's of this sandbox (module, state directory, fault id)."""
    state = str(sandbox.layout.state)
    code = "import time; time.sleep(30)"
    yield from _spawn([sys.executable, "-c", code, HOLDER_MODULE, "--state", state, "--fault-id", "run-7-1"])


def test_the_sandbox_tells_its_holder_a_stranger_and_opsready_itself_apart(
    sandbox: Sandbox, stranger: subprocess.Popen[bytes], holder_lookalike: subprocess.Popen[bytes]
) -> None:
    """Its fault holder is the target's (with the fault it holds), a sleep is nobody's, and this very process
    group is protected; each with the identity of its members as found."""
    remedies = SandboxRemedies(sandbox)
    held = remedies.process_group(holder_lookalike.pid)
    assert (held.owner, held.fault_id) == ("target", "run-7-1") and "run-7-1" in held.detail
    other = remedies.process_group(stranger.pid)
    assert (other.owner, other.command, other.fault_id) == ("none", "sleep 30", "")
    assert [m.pid for m in other.members] == [stranger.pid] and other.started <= time.time()
    me = remedies.process_group(os.getpgid(0))
    assert me.owner == "protected" and "opsready itself" in me.detail
    with pytest.raises(UsageError, match="no process group"):
        remedies.process_group(2**22 + 1)


def test_the_sandbox_signals_only_the_processes_it_found(sandbox: Sandbox, stranger: subprocess.Popen[bytes]) -> None:
    """A group whose member identity no longer matches (the pid now names another process) is not signalled; the
    real one is stopped and reported."""
    remedies = SandboxRemedies(sandbox)
    found = remedies.process_group(stranger.pid)
    (member,) = found.members
    reused = ProcessGroup(found.pgid, (ProcessIdentity(member.pid, member.started - 5, member.cmdline),), "x", "none")
    assert remedies.stop_group(reused, 1.0) == ()  # nothing of it runs as found: nothing signalled, none claimed
    assert stranger.poll() is None, "a process that is not the one found was signalled"
    assert remedies.stop_group(found, 2.0) == (member.pid,)
    assert stranger.wait(5) == -15
    with pytest.raises(UsageError, match="refused"):
        remedies.stop_group(remedies.process_group(os.getpgid(0)), 1.0)
