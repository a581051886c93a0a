"""Steps of the deployment, rollback and emergency-deployment runbooks."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from pytest_bdd import parsers, then, when

from opsready.bdd.common import Drill
from opsready.config import Config
from opsready.deploy.procedure import DeployOutcome, Procedures, RollbackOutcome
from opsready.profile import count_data, data_intact, profile_of, run_journey
from opsready.targets.protocol import Target
from opsready.timeline import Timeline


@pytest.fixture
def procedures(opsready_config: Config, target: Target, timeline: Timeline) -> Procedures:
    """The deployment procedures bound to this scenario's target and timeline."""
    return Procedures(opsready_config, target, timeline)


@dataclass
class DeploymentState:
    """What the steps of one deployment or rollback scenario hand to each other (per test)."""

    deploy: DeployOutcome | None = None
    rollback: RollbackOutcome | None = None

    @property
    def deployed(self) -> DeployOutcome:
        """The scenario's deployment."""
        assert self.deploy is not None, "no deployment ran in this scenario"
        return self.deploy


@pytest.fixture
def deployment_state() -> DeploymentState:
    """The scenario's deployment and rollback outcomes, as the steps produce them."""
    return DeploymentState()


@when(parsers.parse('release "{version}" is deployed by the runbook'))
def deploy_by_runbook(deployment_state: DeploymentState, procedures: Procedures, version: str) -> None:
    """The standard procedure: checklists, switch, soak with rollback triggers."""
    deployment_state.deploy = procedures.deploy(version)


@when(parsers.parse('release "{version}" is deployed as an emergency because "{reason}"'))
def deploy_emergency(deployment_state: DeploymentState, procedures: Procedures, version: str, reason: str) -> None:
    """The expedited procedure."""
    deployment_state.deploy = procedures.deploy(version, emergency=True, justification=reason)


@when(parsers.parse('the operator rolls back with reason "{reason}"'))
def manual_rollback(deployment_state: DeploymentState, procedures: Procedures, reason: str) -> None:
    """A person decides to roll back."""
    deployment_state.rollback = procedures.rollback(reason)


@when(parsers.parse('the "{journey}" journey runs {count:d} times'))
def journey_runs(target: Target, journey: str, count: int) -> None:
    """A journey of the service's profile, ``count`` times through the public URL; every run must pass."""
    profile = profile_of(target)
    try:
        chosen = profile.journey(journey)
    except KeyError:
        names = ", ".join(j.name for j in profile.journeys)
        pytest.fail(f"{profile.where()} has no journey '{journey}' (it has: {names})", pytrace=False)
    with httpx.Client(base_url=target.base_url, timeout=5) as client:
        for _ in range(count):
            run = run_journey(client, chosen)
            assert run.ok, run.failure or run.cleanup_failure


@when("the data is counted")
def count_data_now(drill: Drill, target: Target) -> None:
    """Remember the service's count and checksum (the profile's "data intact"), and up to where."""
    drill.data = count_data(profile_of(target), target.base_url)


@then("the pre-deploy checklist passed")
def pre_passed(deployment_state: DeploymentState) -> None:
    """Every pre-deploy check passed."""
    outcome = deployment_state.deployed
    assert outcome.pre.ok and outcome.pre.results, outcome.pre.summary()


@then("the post-deploy checklist passed")
def post_passed(deployment_state: DeploymentState) -> None:
    """Every post-deploy check passed (after a deployment or a rollback)."""
    result = deployment_state.rollback or deployment_state.deploy
    assert result is not None, "nothing was deployed or rolled back"
    assert result.post is not None and result.post.ok and result.post.results, result.post and result.post.summary()


@then("only the mandatory checks ran before the switch")
def only_mandatory(deployment_state: DeploymentState, opsready_config: Config) -> None:
    """The emergency path skipped optional checks but kept the mandatory ones."""
    from opsready.deploy.checklist import load_checklist

    checklist = load_checklist(opsready_config.resolve(opsready_config.deployment.pre_checklist))
    mandatory = {i.name for i in checklist.items if i.mandatory}
    ran = {r.name for r in deployment_state.deployed.pre.results}
    assert mandatory and ran == mandatory, f"ran {sorted(ran)}, mandatory {sorted(mandatory)}"


@then("the deployment succeeded")
def deployment_succeeded(deployment_state: DeploymentState) -> None:
    """No rollback trigger fired."""
    outcome = deployment_state.deployed
    assert outcome.result == "succeeded", f"rolled back: {outcome.trigger}"


@then("a follow-up review item was written")
def review_written(deployment_state: DeploymentState) -> None:
    """The emergency deployment left an item to review, with the justification in it."""
    outcome = deployment_state.deployed
    assert outcome.review is not None and outcome.review.is_file()
    text = outcome.review.read_text()
    assert "Justification:" in text and "To complete" in text


@then(parsers.parse('the deployment was rolled back by the "{trigger}" trigger'))
def rolled_back_by(deployment_state: DeploymentState, trigger: str) -> None:
    """The automatic rollback happened, for the expected reason."""
    outcome = deployment_state.deployed
    assert outcome.result == "rolled_back", "the bad release was not rolled back"
    assert outcome.trigger is not None and outcome.trigger.trigger == trigger, outcome.trigger


@then(parsers.parse("the {measurement} was within its target"))
def within_target(timeline: Timeline, measurement: str) -> None:
    """A duration derived from the timeline met its SLO (e.g. 'time to roll back')."""
    found = {m.name: m for m in timeline.measurements}
    assert measurement in found, f"no measurement '{measurement}' (have: {', '.join(found) or 'none'})"
    m = found[measurement]
    assert m.target is not None, f"{measurement} has no target"
    assert m.ok, m.describe()


@then("no data was lost")
def no_data_lost(drill: Drill, target: Target) -> None:
    """Everything counted before is still there, unchanged: same count and checksum (up to the watermark then)."""
    before = drill.counted
    assert before.count > 0, "no data to lose: the drill proves nothing"
    ok, seen = data_intact(profile_of(target), target.base_url, before)
    assert ok, seen


@then("the service's smoke test passes")
def smoke_passes(target: Target) -> None:
    """The profile's smoke test: each of its journeys, every answer as expected."""
    from opsready.probes.http import smoke

    observation = smoke(target)
    assert observation.ok, observation.describe()
