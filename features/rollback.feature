@rollback @destructive @runbook:rollback
Feature: Rollback procedures
  The rollback runbook (runbooks/rollback.md) promises: a bad release is detected by its rollback triggers and the
  previous release serves again within 5 minutes, with no order lost, even across a schema migration.
  Tags @runbook:<id>:<n> name the numbered runbook steps a scenario verifies (the HTML report's coverage matrix).

  Background:
    Given the target is healthy

  @gate @runbook:rollback:1 @runbook:deployment:4
  Scenario Outline: A flawed release is detected and rolled back automatically
    Given the target runs release "1.2.0"
    And background traffic is running
    When release "<release>" is deployed by the runbook
    Then the deployment was rolled back by the "<trigger>" trigger
    And the target serves release "1.2.0"
    And the time to detect was within its target
    And the time to roll back was within its target
    And the time until healthy was within its target
    And the time to recover was within its target
    And user impact stayed within the deployment and the recovery
    And the post-deploy checklist passed

    Examples:
      | release       | trigger    |
      | 1.3.0-errors  | error_rate |
      | 1.3.0-slow    | latency    |
      | 1.3.0-unready | readiness  |

  @gate @runbook:rollback:4 @runbook:rollback:5
  Scenario: Manual rollback to the previous release
    Given the target runs release "1.1.0" after "1.0.0"
    When the operator rolls back with reason "customers report wrong totals"
    Then the target serves release "1.0.0"
    And the time to roll back was within its target
    And the time until healthy was within its target
    And the post-deploy checklist passed

  @gate @runbook:rollback:4 @runbook:deployment:3
  Scenario: Rollback across the schema migration loses no order
    Given the target runs release "1.1.0"
    When the "order" journey runs 20 times
    And release "1.2.0" is deployed by the runbook
    And the "express order" journey runs 10 times
    And the data is counted
    And the operator rolls back with reason "schema migration drill"
    Then the target serves release "1.1.0"
    And no data was lost
    And the service's smoke test passes
