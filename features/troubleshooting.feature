@troubleshooting @destructive
Feature: Troubleshooting decision tree
  The troubleshooting guides (runbooks/troubleshooting/) promise: `opsready diagnose` walks the decision tree
  (runbooks/troubleshooting-tree.yaml) to the right diagnosis for every fault the target can suffer, within its time
  limit, and the remedy the linked runbook prescribes brings the target back to healthy. That a diagnosis changes
  nothing is checked where no users change the target meanwhile: on a healthy and on a hung system. Faults go
  through the chaos guard: journaled, and reverted whatever happens when the scenario ends.

  Background:
    Given the target is healthy

  @runbook:troubleshooting-common-issues
  Scenario: A healthy system diagnoses as healthy, and the diagnosis changes nothing
    Given no component crashed in the last 30 seconds
    When the state of the target is noted
    And the system is diagnosed
    Then the diagnosis is "healthy"
    And the diagnosis finished within its time limit
    And the diagnosis changed nothing on the target

  @runbook:troubleshooting-api
  Scenario Outline: An api fault, <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind          | params      | diagnosis  |
      | process-pause | service=api | api-frozen |
      | process-stop  | service=api | api-down   |

  @runbook:troubleshooting-worker
  Scenario Outline: A worker fault (feature not working), <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind          | params         | diagnosis     |
      | process-stop  | service=worker | worker-down   |
      | process-pause | service=worker | worker-frozen |

  @runbook:troubleshooting-database
  Scenario Outline: A database fault, <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind    | params | diagnosis     |
      | db-stop | -      | database-down |

  @runbook:troubleshooting-network
  Scenario Outline: A proxy or network fault, <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind              | params                 | diagnosis             |
      | network-reset     | proxy=db               | database-link-resets  |
      | network-timeout   | proxy=edge             | edge-blackhole        |
      | network-down      | proxy=db               | database-link-refused |
      | network-bandwidth | proxy=edge rate_kbps=1 | edge-bandwidth        |
      | process-stop      | service=edge           | edge-down             |
      | network-down      | proxy=edge             | edge-not-listening    |
      | network-reset     | proxy=edge             | edge-resets           |
      | network-timeout   | proxy=db               | database-link-blackhole |
      | process-pause     | service=db_proxy       | db-proxy-frozen       |

  @runbook:troubleshooting-performance
  Scenario Outline: Added latency, <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind            | params                 | diagnosis             |
      | network-latency | proxy=db latency=400ms | database-link-latency |
      | network-latency | proxy=edge latency=500ms | edge-latency        |
      | network-bandwidth | proxy=db rate_kbps=1   | database-link-bandwidth |

  @runbook:rollback
  Scenario Outline: A flawed release, <kind> <params>, is diagnosed as <diagnosis> and fixed by its runbook's remedy
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis finished within its time limit
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind        | params             | diagnosis    |
      | bad-release | release=1.3.0-slow | release-slow |
      | bad-release | release=1.3.0-unready | release-unready |

  @runbook:troubleshooting-database
  Scenario: A lock held in an open transaction is diagnosed once users see failures, and ended
    Given background traffic is running
    When the fault "db-lock" is injected
    And users see failed requests within 15 seconds
    And the system is diagnosed
    Then the diagnosis is "database-lock"
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

  @runbook:troubleshooting-database
  Scenario Outline: A client outside the service holding every database connection is blamed and stopped
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis blames the fault's process
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind           | params  | diagnosis                      |
      | db-connections | leave=0 | database-connections-exhausted |

  @runbook:troubleshooting-host
  Scenario Outline: A process outside the service (<kind>) is diagnosed as <diagnosis>, blamed and stopped
    Given background traffic is running
    When the fault "<kind>" is injected with "<params>"
    And the system is diagnosed
    Then the diagnosis is "<diagnosis>"
    And the diagnosis blames the fault's process
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

    Examples:
      | kind            | params    | diagnosis  |
      | cpu-hog         | workers=8 | cpu-hog    |
      | memory-pressure | share=15% | memory-hog |

  @runbook:troubleshooting-network
  Scenario: A hung component costs the diagnosis at most its timeouts, and the diagnosis changes nothing
    When the fault "process-pause" is injected with "service=edge"
    And the state of the target is noted
    And the system is diagnosed
    Then the diagnosis is "edge-frozen"
    And the diagnosis finished within its time limit
    And the diagnosis changed nothing on the target
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

  @runbook:troubleshooting-common-issues
  Scenario: Two faults at once: the infrastructure is diagnosed and fixed before the application
    Given background traffic is running
    When the fault "bad-release" is injected with "release=1.3.0-errors"
    And the fault "process-stop" is injected with "service=db_proxy"
    And the system is diagnosed
    Then the diagnosis is "db-proxy-down"
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "release-errors" within 30 seconds
    When the remedy its runbook prescribes is applied
    Then the system is diagnosed as "healthy" within 40 seconds

  # last: a crash is a finding for 30 s, so a scenario after it would first wait for that to pass
  @runbook:troubleshooting-common-issues
  Scenario: A killed process restarted by the platform is diagnosed as a crash
    Given background traffic is running
    When the fault "process-kill" is injected with "service=api"
    And the "api" runs again within 30 seconds
    And the system is diagnosed
    Then the diagnosis is "crashed"
    And the diagnosis names "api"
    And users are served again
