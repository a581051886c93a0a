"""The step library is platform-neutral: `pytest -m rollback --target <kubernetes target> --collect-only` collects
exactly the scenarios it collects against the sandbox, from the suite's own features and bindings, with no cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
version: 1
default_target: sandbox
targets:
  sandbox:
    platform: sandbox
    state_dir: st
  kind:
    platform: kubernetes
    kubeconfig: does-not-exist/kubeconfig
    context: kind-opsready
    namespace: orders
    deployment: orders-api
    container: api
    init_containers: [migrate]
    image: opsready/orders:{version}
    service: orders
    port_forward: 80
safety:
  destructive_targets: [sandbox, kind]
  kubernetes_namespaces: [orders]
"""


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest_subprocess("-m", "rollback", "--collect-only", "-q", "-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    return sorted(line for line in result.stdout.lines if "::" in line)


def test_rollback_scenarios_collect_the_same_on_kubernetes(pytester: pytest.Pytester) -> None:
    """Same node ids for --target kind as for the sandbox; collecting contacts nothing (the kubeconfig is absent)."""
    shutil.copytree(ROOT / "features", pytester.path / "features")
    shutil.copytree(ROOT / "steps", pytester.path / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    pytester.makefile(".yaml", opsready=CONFIG)
    pytester.makeini("[pytest]\nbdd_features_base_dir = features\ntestpaths = steps\n")
    on_sandbox = collected(pytester)
    on_kubernetes = collected(pytester, "--target", "kind")
    assert on_sandbox, "no rollback scenario was collected at all"
    assert any("flawed_release" in n or "rolled_back" in n for n in on_sandbox)
    assert on_kubernetes == on_sandbox
    assert not (pytester.path / "st").exists()  # no sandbox was started either
