@maintenance @destructive
Feature: Maintenance and update procedures
  The maintenance runbooks (runbooks/maintenance/) promise: routine maintenance keeps every order and drops no
  request, each procedure checks the service before and after its work and proves the work itself (a backup only
  counts once a restore of it matched), planned maintenance finishes within 2 hours, a broken patch is caught and
  rolled back by the procedure, and maintenance runs in the quietest allowed window unless forced with a reason.

  @runbook:database-backup
  Scenario: A backup restores into a scratch database with no order lost
    Given the target is healthy
    And maintenance is authorised for this drill
    When the "order" journey runs 25 times
    And the data is counted
    And the "backup" maintenance procedure runs
    Then the maintenance succeeded with its pre- and post-checks passed
    And the backup restored the data counted, with the same checksum
    And the scratch database was removed
    And no data was lost
    And the maintenance duration was within its target
    And the start and completion notices name the measured outcome

  @runbook:patching
  Scenario: A good patch rolled out under traffic drops no request
    Given the target is healthy
    And maintenance is authorised for this drill
    And the target runs release "1.2.0"
    And background traffic is running
    When the patch procedure rolls out release "1.2.1"
    Then the maintenance succeeded with its pre- and post-checks passed
    And the target serves release "1.2.1"
    And the users saw 0 failed requests
    And the time to deploy was within its target
    And the maintenance duration was within its target

  @runbook:patching
  Scenario: A broken patch is caught and rolled back by the procedure
    Given the target is healthy
    And maintenance is authorised for this drill
    And the target runs release "1.2.0"
    And background traffic is running
    When the patch procedure rolls out release "1.2.1-broken"
    Then the patch was rolled back by the "error_rate" trigger
    And the target serves release "1.2.0"
    And the users saw failed requests while the broken patch was live
    And user impact stayed within the deployment and the recovery
    And the time to detect was within its target
    And the time to roll back was within its target
    And the time until healthy was within its target
    And the post-maintenance checks passed
    And the maintenance duration was within its target

  @runbook:database-housekeeping
  Scenario: Housekeeping under traffic keeps every order and drops no request
    Given the target is healthy
    And maintenance is authorised for this drill
    And the "order" journey has run 10 times and the data is counted before any traffic
    And background traffic is running
    When the "housekeeping" maintenance procedure runs
    Then the maintenance succeeded with its pre- and post-checks passed
    And the database integrity check passed
    And no data was lost
    And the users saw 0 failed requests

  @runbook:log-rotation
  Scenario: Logs are rotated without losing a line and old archives are pruned
    Given the target is healthy
    And maintenance is authorised for this drill
    When the logs are rotated keeping 1 archive per log
    Then the maintenance succeeded with its pre- and post-checks passed
    And every rotated log reads back in full and was reopened
    When archives of earlier rotations lie beside them
    And the logs are rotated keeping 1 archive per log
    Then the earlier archives were removed and at most 1 archive per log is kept

  @runbook:disk-usage
  Scenario: The disk check measures usage and fails above its threshold, and a full disk stops maintenance
    Given the target is healthy
    And maintenance is authorised for this drill
    When the "disk-check" maintenance procedure runs
    Then the maintenance succeeded with its pre- and post-checks passed
    When the disk is checked against a threshold of 0%
    Then the maintenance failed its validation while the service stayed healthy
    When the "backup" maintenance procedure runs
    Then the maintenance was aborted by its pre-checks before any change

  @runbook:certificate-expiry
  Scenario: An expiring certificate is caught and renewed without dropping a connection
    Given the target is healthy
    And maintenance is authorised for this drill
    When the certificate is renewed for 10 days
    And the "certificate-check" maintenance procedure runs
    Then the certificate check warns that it expires within 30 days
    When a TLS connection to the edge is open
    And the certificate is renewed for 90 days
    Then the maintenance succeeded with its pre- and post-checks passed
    And the served certificate verifies and is valid for 90 days
    And the TLS connection opened before the renewal still works
    When the "certificate-check" maintenance procedure runs
    Then the maintenance succeeded with its pre- and post-checks passed

  @runbook:maintenance-window
  Scenario: The window finder picks the quiet hours of the traffic history
    Given the traffic history "tests/data/maintenance/traffic-history.csv"
    When a 2 hour maintenance window is searched after "2026-12-01T12:00:00Z"
    Then the window is "Sun 2026-12-06 03:00 to 05:00 UTC"
    And users are expected to send about 9738 requests in it, under 1% of a day's
    And the announcement names the window and the expected impact

  @runbook:maintenance-window
  Scenario: The window finder respects a change freeze
    Given the traffic history "tests/data/maintenance/traffic-history.csv"
    And a change freeze "weekend release" from "2026-12-05" to "2026-12-06"
    When a 2 hour maintenance window is searched after "2026-12-01T12:00:00Z"
    Then the window is "Sun 2026-12-13 03:00 to 05:00 UTC"
    And start times in the freeze "weekend release" were skipped

  @runbook:maintenance-window
  Scenario: Maintenance outside the allowed window is refused unless forced with a reason
    Given the target is healthy
    And the allowed maintenance window opens 12 hours from now
    When the "backup" maintenance procedure is started without a reason
    Then it was refused and nothing changed
    When it is forced with the reason "restore test before the storage migration"
    Then the maintenance succeeded with its pre- and post-checks passed
    And the record and the completion notice carry the reason "restore test before the storage migration"
