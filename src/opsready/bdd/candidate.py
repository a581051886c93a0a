"""Steps of the release-candidate gate: they name no release (the candidate comes from --candidate, the previous
release from the target), and the synthetic-flaw rollback rehearsal."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.bdd.common import Drill, ensure_release, serves_release
from opsready.bdd.deployment import DeploymentState
from opsready.config import Config
from opsready.deploy.procedure import Procedures
from opsready.drills.candidate import CandidatePlan
from opsready.drills.rehearsal import FlawRehearsal, rehearse_flaw
from opsready.targets.protocol import Target
from opsready.timeline import Timeline


@pytest.fixture
def candidate(candidate_plan: CandidatePlan | None) -> CandidatePlan:
    """This run's release-candidate plan; a run without --candidate skips the candidate's scenarios."""
    if candidate_plan is None:
        pytest.skip("not a release-candidate run: give --candidate VERSION (opsready gate --candidate VERSION)")
    return candidate_plan


@dataclass
class RehearsalState:
    """The scenario's synthetic-flaw rehearsal, once it ran."""

    result: FlawRehearsal | None = None

    @property
    def done(self) -> FlawRehearsal:
        """The rehearsal, which must have been done (a platform without the fault skips as not done)."""
        assert self.result is not None, "no rehearsal ran in this scenario"
        return self.result


@pytest.fixture
def rehearsal() -> RehearsalState:
    """The scenario's rehearsal outcome."""
    return RehearsalState()


@given("the target serves the previous release")
def serves_previous_given(target: Target, candidate: CandidatePlan) -> None:
    """The release that served before the candidate serves (it does when the gate starts)."""
    ensure_release(target, candidate.previous)
    assert target.current_release() == candidate.previous


@given("the target serves the candidate")
def serves_candidate_given(target: Target, candidate: CandidatePlan) -> None:
    """The candidate serves (an earlier scenario deployed it by the runbook; this one does not redeploy it)."""
    current = target.current_release()
    assert current == candidate.candidate, f"{current} serves, not the candidate {candidate.candidate}"


@when("the candidate is deployed by the runbook")
def deploy_candidate(deployment_state: DeploymentState, procedures: Procedures, candidate: CandidatePlan) -> None:
    """The standard procedure for the candidate: checklists, switch, soak with rollback triggers."""
    deployment_state.rollback = None  # a later "post-deploy checklist passed" is this deployment's
    deployment_state.deploy = procedures.deploy(candidate.candidate)


@when(parsers.parse("a synthetic flaw makes {share:d}% of the candidate's requests fail"))
def synthetic_flaw(  # noqa: PLR0917  # pytest resolves fixtures from positional parameters only
    rehearsal: RehearsalState,
    opsready_config: Config,
    target: Target,
    timeline: Timeline,
    candidate: CandidatePlan,
    share: int,
) -> None:
    """A fault of the platform's model makes the candidate look bad; its rollback triggers must roll it back."""
    result = rehearse_flaw(opsready_config, target, timeline, candidate, error_share=share / 100)
    rehearsal.result = result
    if result.status == "not done":
        pytest.skip(result.describe())


@then("the target serves the candidate")
def serves_candidate(target: Target, candidate: CandidatePlan) -> None:
    """The service itself says the candidate answers."""
    serves_release(target, candidate.candidate)


@then("the target serves the previous release")
def serves_previous(target: Target, candidate: CandidatePlan) -> None:
    """The service itself says the previous release answers."""
    serves_release(target, candidate.previous)


@then("the rollback triggers rolled the candidate back")
def triggers_rolled_back(rehearsal: RehearsalState, timeline: Timeline) -> None:
    """A rollback trigger saw the flaw and the real rollback ran."""
    done = rehearsal.done
    assert done.trigger is not None, f"no rollback trigger fired: {done.describe()}"
    assert timeline.has("rolled_back"), timeline.kinds()
    timeline.mark("finished", done.describe())


@then("the users' failures stopped when the rollback completed, while the flaw was still open")
def failures_stopped(rehearsal: RehearsalState, drill: Drill, timeline: Timeline) -> None:
    """From the traffic users saw: failures after the flaw applied, none once the rollback completed though the
    journal still had the flaw applied, and enough requests in that window to say so."""
    done = rehearsal.done
    report = drill.stop_traffic()
    injected, rolled_back, reverted = (timeline.first(k) for k in ("injected", "rolled_back", "reverted"))
    assert injected and rolled_back and reverted, timeline.kinds()
    t0 = timeline.t0
    flawed = report.between(t0 + injected.at, t0 + rolled_back.at)
    assert flawed.failed > 0, f"the flaw made no request fail before the rollback: {flawed.describe()}"
    after = report.between(t0 + rolled_back.at, t0 + reverted.at)
    assert done.open_at_rollback and done.open_after_hold, f"the flaw was not open in the journal: {done.describe()}"
    assert after.total >= 20, f"too little traffic between the rollback and the revert to judge: {after.describe()}"
    assert after.failed == 0, f"users still saw failures after the rollback completed: {after.describe()}"


@then("the guard closed the flaw")
def guard_closed(rehearsal: RehearsalState) -> None:
    """The journal says the flaw was reverted (after the rollback had ended what users saw)."""
    assert rehearsal.done.closed, rehearsal.done.describe()
