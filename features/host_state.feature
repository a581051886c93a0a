@gate @neutral @runbook:deployment
Feature: Host state of the target
  The deployment runbook's prerequisites: every service runs under its supervisor, listens where it should, serves the
  release its release history says is current (never judged by the link itself), and keeps its data private.
  Checked with testinfra on the target's hosts.

  Scenario: The hosts are in the expected state
    Given the target is healthy
    Then every service of the target is running on its host
    And the target's sockets are listening
    And the release link points at the current release
    And the data directories are private to their owner
