"""Steps of the deployment, rollback and emergency-deployment runbooks."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from pytest_bdd import parsers, then, when

from opsready.bdd.common import Drill, OrderCount
from opsready.config import Config
from opsready.deploy.procedure import DeployOutcome, Procedures, RollbackOutcome
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


def _stats(target: Target, upto: int | None = None) -> OrderCount:
    params = {"upto": str(upto)} if upto is not None else {}
    data = httpx.get(f"{target.base_url}/orders/stats", params=params, timeout=5).json()
    last = data["last_id"]
    return OrderCount(int(data["total"]), None if last is None else int(last), str(data["checksum"]))


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


@when(parsers.parse("{count:d} orders are placed"))
@when(parsers.parse('{count:d} orders with priority "{priority}" are placed'))
def place_orders(target: Target, count: int, priority: str = "") -> None:
    """Real orders through the public API."""
    with httpx.Client(base_url=target.base_url, timeout=5) as client:
        for i in range(count):
            body: dict[str, object] = {"item": f"drill-{i}", "quantity": i % 5 + 1}
            if priority:
                body["priority"] = priority
            response = client.post("/orders", json=body)
            assert response.status_code == 201, f"order {i}: HTTP {response.status_code} {response.text[:200]}"


@when("the orders are counted")
def count_orders(drill: Drill, target: Target) -> None:
    """Remember how many orders exist and their checksum."""
    drill.orders = _stats(target)


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


@then("no order was lost")
def no_order_lost(drill: Drill, target: Target) -> None:
    """Every order counted before is still there, unchanged (same count and checksum up to the last id then)."""
    before = drill.counted
    assert before.total > 0, "no orders to lose: the drill proves nothing"
    after = _stats(target, upto=before.last_id)
    assert after.total == before.total, f"orders before {before.total}, after {after.total}"
    assert after.checksum == before.checksum, "order contents changed"


@then("new orders can be placed")
def new_orders(target: Target) -> None:
    """The service takes orders after the change."""
    place_orders(target, 3)
