"""The release-candidate gate's plan: the previous release comes from the target, and every refusal (unknown
candidate, present on only some hosts, no release serving, already serving) is a Refused error (exit code 4) raised
before anything is deployed; at the end the candidate or the previous release is left serving by the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from opsready import exitcodes
from opsready.drills.candidate import CandidatePlan, leave, plan_candidate
from opsready.errors import DeployError, Refused, UsageError
from opsready.targets.protocol import Release, ReleaseRecord


@dataclass
class FakeTarget:
    """Just enough of a Target for the plan: releases, what serves, its history; deploys are recorded."""

    known: tuple[str, ...] = ("1.0.0", "1.1.0", "2.4.1")
    serving: str = "1.1.0"
    records: list[ReleaseRecord] = field(default_factory=list)
    deployed: list[tuple[str, str]] = field(default_factory=list)
    name: str = "staging"
    platform: str = "fake"
    broken_current: bool = False

    def releases(self) -> tuple[Release, ...]:
        return tuple(Release(v) for v in self.known)

    def current_release(self) -> str:
        if self.broken_current:
            raise DeployError("no current link")
        return self.serving

    def history(self) -> tuple[ReleaseRecord, ...]:
        return tuple(self.records)

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        self.deployed.append((version, kind))
        record = ReleaseRecord(version, self.serving, kind, "2026-12-02T00:00:00Z", note)
        self.serving = version
        return record


@dataclass
class FakeHosts(FakeTarget):
    """A multi-host target that can say which hosts have a release."""

    presence: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def release_presence(self, version: str) -> tuple[tuple[str, bool], ...]:
        return tuple((host, version in have) for host, have in self.presence.items())


def plan(target: FakeTarget, candidate: str = "2.4.1", drills_only: bool = False) -> CandidatePlan:
    return plan_candidate(target, candidate, drills_only)  # type: ignore[arg-type]  # a fake, not a full Target


def test_the_previous_release_is_the_one_the_target_serves() -> None:
    """No release named in a feature: candidate from the caller, previous from the target."""
    found = plan(FakeTarget())
    assert (found.candidate, found.previous, found.drills_only) == ("2.4.1", "1.1.0", False)
    assert found.describe() == "candidate 2.4.1 over 1.1.0 on target staging"


@pytest.mark.parametrize(
    ("target", "candidate", "message"),
    [
        (FakeTarget(), "9.9.9", r"candidate 9\.9\.9 is unknown on target 'staging' \(it knows: 1\.0\.0, 1\.1\.0, "),
        (FakeTarget(serving=""), "2.4.1", "serves no release: there is no previous release"),
        (FakeTarget(broken_current=True), "2.4.1", r"serves no release it can name \(no current link\)"),
        (FakeTarget(serving="2.4.1"), "2.4.1", "candidate 2.4.1 already serves on target 'staging'"),
        (
            FakeHosts(presence={"app1": ("2.4.1",), "app2": (), "app3": ("2.4.1",)}),
            "2.4.1",
            "present on only some hosts of target 'staging': on app1, app3, missing on app2",
        ),
    ],
    ids=["unknown", "no-previous", "unreadable-current", "already-serving", "some-hosts"],
)
def test_refusals_say_why_change_nothing_and_exit_4(target: FakeTarget, candidate: str, message: str) -> None:
    """Each refusal is Refused (exit code REFUSED = 4), with a clear message, and deploys nothing."""
    with pytest.raises(Refused, match=message) as caught:
        plan(target, candidate)
    assert caught.value.exit_code == exitcodes.REFUSED == 4
    assert "nothing" in caught.value.message  # "nothing was deployed" / "nothing was changed"
    assert target.deployed == []


def test_already_serving_names_the_flag_and_the_flag_runs_the_drills_only() -> None:
    """The refusal says how to run only the drills; with the flag the plan deploys nothing."""
    target = FakeTarget(serving="2.4.1", records=[ReleaseRecord("2.4.1", "1.1.0", "deploy", "t")])
    with pytest.raises(Refused) as caught:
        plan(target)
    assert caught.value.hint is not None and "--drills-only" in caught.value.hint
    found = plan(target, drills_only=True)
    assert (found.drills_only, found.previous) == (True, "1.1.0")
    assert leave(target, found, ready=False).endswith("(drills only: nothing was changed)")  # type: ignore[arg-type]
    assert target.deployed == []


def test_drills_only_for_a_candidate_that_does_not_serve_is_bad_input() -> None:
    """--drills-only promises nothing is deployed; asked for a candidate that is not serving, it is a usage error."""
    with pytest.raises(UsageError, match="--drills-only is for a candidate that already serves"):
        plan(FakeTarget(), drills_only=True)


def test_every_host_has_the_candidate_so_it_is_planned() -> None:
    """Present everywhere: no refusal."""
    target = FakeHosts(presence={"app1": ("2.4.1",), "app2": ("2.4.1", "1.1.0")})
    assert plan(target).previous == "1.1.0"


@pytest.mark.parametrize(
    ("ready", "serving", "expected", "deployed"),
    [
        (True, "2.4.1", "2.4.1", []),
        (False, "2.4.1", "1.1.0", [("1.1.0", "rollback")]),
        (False, "1.1.0", "1.1.0", []),
        (True, "1.1.0", "2.4.1", [("2.4.1", "deploy")]),
    ],
    ids=["ready-candidate-stays", "not-ready-previous-back", "not-ready-already-previous", "ready-forward-again"],
)
def test_leave_the_candidate_when_ready_the_previous_release_when_not(
    ready: bool, serving: str, expected: str, deployed: list[tuple[str, str]]
) -> None:
    """The end state follows the verdict, whatever the last scenario left serving."""
    target = FakeTarget(serving=serving)
    line = leave(target, CandidatePlan("staging", "2.4.1", "1.1.0"), ready)  # type: ignore[arg-type]
    assert target.serving == expected and target.deployed == deployed
    assert line.startswith(f"{expected} (") and ("is ready" if ready else "is not ready") in line
