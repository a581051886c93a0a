"""Small opsready suites the CLI and plugin tests write into a temporary directory: one runbook, one gate feature and
its steps, and the four targets the safety rule is tested on. One copy, so every test reads the same suite."""

from __future__ import annotations

RUNBOOK = """\
---
id: rollback
title: Roll back a release
owner: platform-operations
last_reviewed: 2026-11-27
category: rollback
---
# Roll back a release

## Overview
Put the previous release back into service.

## Prerequisites
- Access to the target

## Steps
1. Roll back.
2. Validate.

## Rollback
- Roll forward with an emergency deployment.

## Contacts
- Primary (on-call engineer): [ON-CALL NAME]
- Escalation (team lead): [TEAM LEAD NAME]
"""

STEPS = """\
from pytest_bdd import given, scenarios

scenarios("../features/drill.feature")


@given("a drill ran")
def ran(timeline):
    timeline.mark("started")
"""


def gate_feature(destructive: bool = False) -> str:
    """A gate feature of one scenario that touches nothing, linked to step 1 of the runbook."""
    tags = "@gate @destructive" if destructive else "@gate"
    what = "A destructive drill" if destructive else "A drill"
    return (
        f"{tags} @runbook:rollback:1\nFeature: Drill\n  Scenario: {what} that touches nothing\n    Given a drill ran\n"
    )


def kube_target(root: str = "{root}") -> str:
    """A Kubernetes target's options (indented under its name) that reach no cluster."""
    return f"""\
    platform: kubernetes
    kubeconfig: {root}/absent-kubeconfig
    namespace: orders
    deployment: orders
    container: api
    image: "opsready/orders:{{version}}"
    service_url: http://127.0.0.1:9
    releases: [1.0.0, 1.1.0]
"""


def four_targets(kube: str) -> str:
    """sandbox (disposable, not allowlisted), lab (disposable, allowlisted), prod (real, allowlisted), kept (real,
    not allowlisted): the four cases of the safety rule."""
    return f"""\
version: 1
default_target: sandbox
targets:
  sandbox:
    platform: sandbox
    state_dir: st-sandbox
    ports: auto
  lab:
    platform: sandbox
    state_dir: st-lab
    ports: auto
  prod:
{kube}  kept:
{kube}safety:
  destructive_targets: [lab, prod]
  kubernetes_namespaces: [orders]
maintenance:
  comms_dir: comms
"""
