@incident @destructive
Feature: Incident response drills
  Each incident runbook (runbooks/incidents/) is rehearsed on the target: the fault of the experiment it names is
  injected through the chaos guard, the monitor detects it from the shared probes about once a second, the
  classification (runbooks/incident-classification.yaml) puts it in the severity the runbook declares, the responder
  acknowledges (automatically in CI, and recorded as such), the runbook's automated mitigation runs, and the monitor
  sees the target recover. Every duration is measured on the timeline and held against the severity's targets;
  background traffic shows what users felt and when; the notices and the review draft carry the measured values.

  Background:
    Given the target is healthy
    And users use the service in the background

  @runbook:incident-service-down
  Scenario: A stopped orders service is critical; starting it brings the service back
    Given the incident drill of runbook "incident-service-down" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "critical", as the runbook declares, because of "service-unready"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "failed requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-service-down
  Scenario: A hung orders service is critical; restarting it brings the service back
    Given the incident drill of runbook "incident-service-down" is prepared with experiment "api-paused"
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "critical", as the runbook declares, because of "service-hangs"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "failed requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-database-unavailable
  Scenario: A stopped database is critical; starting it brings the service back
    Given the incident drill of runbook "incident-database-unavailable" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "critical", as the runbook declares, because of "service-unready"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "failed requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-high-error-rate
  Scenario: An error spike after a release is high; rolling back ends it
    Given the incident drill of runbook "incident-high-error-rate" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "high", as the runbook declares, because of "order-errors"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "failed requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-slow-responses
  Scenario: A latency regression after a release is medium; rolling back ends it
    Given the incident drill of runbook "incident-slow-responses" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "medium", as the runbook declares, because of "slow-service"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "slow requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-network-degradation
  Scenario: A slow network in front of the service is high; resetting the link ends it
    Given the incident drill of runbook "incident-network-degradation" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "high", as the runbook declares, because of "pages-crawl"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "slow requests", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target

  @runbook:incident-feature-not-working
  Scenario: Orders left unfulfilled are medium though users see nothing; restarting the worker drains them
    Given the incident drill of runbook "incident-feature-not-working" is prepared
    When the fault of the runbook's experiment is injected
    And the monitor detects the incident
    And the incident is classified
    And the responder acknowledges the page
    And the runbook's automated mitigation runs
    And the monitor sees the target recover
    Then the incident was classified "medium", as the runbook declares, because of "orders-not-fulfilled"
    And the times to detect, acknowledge, mitigate and recover were within the severity's targets
    And the acknowledgement was recorded as automatic
    And users saw "none", which began after the fault and ended before the recovery
    And the notices carry the measured timeline
    And the review draft records the drill
    And every fault was reverted and nothing is left on the target
