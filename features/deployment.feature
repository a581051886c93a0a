@deployment @destructive
Feature: Deployment procedures
  The deployment runbook (runbooks/deployment.md) promises: a release goes out only after the pre-deployment
  checklist passes, users notice nothing while it switches, and the post-deployment validation proves it works.
  The emergency runbook (runbooks/emergency-deployment.md) trades the soak for speed but keeps the health checks.
  Tags @runbook:<id>:<n> name the numbered runbook steps a scenario verifies (the HTML report's coverage matrix).

  Background:
    Given the target is healthy

  @gate @runbook:deployment @runbook:deployment:1 @runbook:deployment:3 @runbook:deployment:4
  @runbook:deployment:5 @runbook:deployment:6
  Scenario: A standard deployment passes both checklists
    Given the target runs release "1.0.0"
    When release "1.1.0" is deployed by the runbook
    Then the pre-deploy checklist passed
    And the deployment succeeded
    And the post-deploy checklist passed
    And the target serves release "1.1.0"
    And the time to deploy was within its target

  @gate @runbook:deployment @runbook:deployment:3
  Scenario: A good deployment under traffic drops no request
    Given the target runs release "1.0.0"
    And background traffic is running
    When release "1.1.0" is deployed by the runbook
    Then the deployment succeeded
    And the users saw 0 failed requests
    And the target serves release "1.1.0"

  @gate @runbook:emergency-deployment @runbook:emergency-deployment:3 @runbook:emergency-deployment:7
  Scenario: An emergency deployment skips the soak but keeps the mandatory health checks
    Given the target runs release "1.0.0"
    When release "1.1.0" is deployed as an emergency because "payment outage hotfix"
    Then only the mandatory checks ran before the switch
    And the deployment succeeded
    And the post-deploy checklist passed
    And a follow-up review item was written
    And the target serves release "1.1.0"
