@capacity @runbook:capacity-planning
Feature: Capacity planning
  The capacity-planning runbook (runbooks/capacity-planning.md) promises: the planned load meets the thresholds in
  loadtests/capacity.yaml; during a fault each phase holds the thresholds that apply to it; under rising load the
  scaling trigger adds units until the thresholds hold again, and removes them when the load drops; and the capacity
  plan states what was measured. The load is real (locust in a subprocess) and so are the faults and the scaling.

  Background:
    Given the target is healthy

  Scenario: The planned load meets every threshold
    When the planned load runs
    Then every threshold was met
    And the users got the planned throughput
    And locust's own statistics agree with the samples

  @destructive
  Scenario: Each phase of a fault holds the thresholds that apply to it
    Given the "fault" load is running
    When the load has run 4 seconds
    And the users' link is 400 ms slower for 4 seconds
    And the load runs 4 more seconds
    Then each phase met its own thresholds
    And users saw the 400 ms only during the fault

  @destructive
  Scenario: Rising load fires the scaling trigger, capacity grows until the thresholds hold, and shrinks again
    Given users' requests reach the service 50 ms late over a slow network
    And the service runs 2 units
    When the load rises and falls with the scaling policy active
    Then the scale-out trigger fired under the rising load
    And capacity grew within the bounds
    And the time to scale out was within its target
    And the thresholds were met again at the high load after scaling
    And capacity was scaled in after the load dropped

  @destructive
  Scenario: The capacity plan states what was measured
    Given users' requests reach the service 50 ms late over a slow network
    And the service runs 2 units
    When the capacity is measured with 4-second steps
    And the capacity plan is written
    Then the measured capacity sustained its load within the thresholds
    And the plan's numbers are those measured
