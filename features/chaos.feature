@chaos @destructive @runbook:chaos-faults
Feature: Chaos experiments whose faults are always reverted
  The chaos runbook (runbooks/chaos-faults.md) promises: every fault type the target offers is noticed by a probe,
  reverted and verified by a probe, and the service is back in its steady state within 60 seconds; nothing of the
  fault is left behind. Each experiment is the chaostoolkit file of the same name in experiments/.

  Background:
    Given the target is healthy

  Scenario Outline: <experiment> is detected, reverted and recovered from
    When the experiment "<experiment>" runs
    Then the experiment completed without deviating
    And the fault was detected within <detect> seconds
    And every fault was reverted and verified
    And steady state is restored within 60 seconds
    And no fault remains on the target
    And the journals were written
    And the time to detect was within its target
    And the time to recover was within its target

    Examples: process faults
      | experiment     | detect |
      | api-killed     | 15     |
      | api-paused     | 15     |
      | worker-stopped | 20     |

    Examples: database faults
      | experiment     | detect |
      | db-outage      | 20     |
      | db-lock        | 20     |
      | db-connections | 20     |

    Examples: network faults
      | experiment     | detect |
      | edge-latency   | 15     |
      | edge-bandwidth | 15     |
      | edge-reset     | 15     |
      | db-blackhole   | 20     |
      | db-proxy-down  | 15     |

    Examples: resource faults
      | experiment      | detect |
      | cpu-hog         | 30     |
      | memory-pressure | 15     |

    Examples: release faults
      | experiment  | detect |
      | bad-release | 20     |
