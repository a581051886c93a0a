@candidate @destructive
Feature: Release-candidate gate
  The deployment and rollback runbooks applied to the team's own release candidate on its own target. No release is
  named here: `opsready gate --candidate VERSION` names the candidate, and the release that served before it comes
  from the target. The rollback is rehearsed for real without a broken build: a synthetic flaw (a fault, never a
  defect of the candidate) makes the candidate look bad until the rollback ends it. At the end the candidate is left
  serving when the gate is ready, the previous release when it is not.

  Background:
    Given the target is healthy

  @runbook:deployment @runbook:deployment:1 @runbook:deployment:3 @runbook:deployment:4
  @runbook:deployment:5 @runbook:deployment:6
  Scenario: The candidate is deployed by the runbook under traffic
    Given the target serves the previous release
    And background traffic is running
    When the candidate is deployed by the runbook
    Then the pre-deploy checklist passed
    And the deployment succeeded
    And the post-deploy checklist passed
    And the target serves the candidate
    And the users saw 0 failed requests
    And the time to deploy was within its target

  @runbook:rollback:4 @runbook:rollback:5
  Scenario: The candidate is rolled back to the previous release and forward again
    Given the target serves the candidate
    When the operator rolls back with reason "release-candidate gate: rollback rehearsal"
    Then the target serves the previous release
    And the time to roll back was within its target
    And the post-deploy checklist passed
    When the candidate is deployed by the runbook
    Then the deployment succeeded
    And the target serves the candidate

  @runbook:rollback:1
  Scenario: A synthetic flaw on the candidate is ended by the real rollback
    Given the target serves the candidate
    And background traffic is running
    When a synthetic flaw makes 30% of the candidate's requests fail
    Then the rollback triggers rolled the candidate back
    And the target serves the previous release
    And the users' failures stopped when the rollback completed, while the flaw was still open
    And the guard closed the flaw
    And the time to detect was within its target
    And the time to roll back was within its target
    When the candidate is deployed by the runbook
    Then the deployment succeeded
    And the target serves the candidate
