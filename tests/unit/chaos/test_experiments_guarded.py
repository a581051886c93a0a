"""Every shipped experiment acts only through opsready's chaostoolkit extension, so it cannot bypass the guard.

A provider from another package (chaostoolkit-kubernetes' ``chaosk8s``, a ``process`` or ``http`` provider) would act
on the target without the destructive allowlist, the namespace allowlist, the fault journal, the dead-man watchdog
or the revert. The Kubernetes experiments use the kubernetes target's own fault kinds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsready.chaos.experiment import load_experiment
from opsready.config import load_config
from opsready.kubernetes.faults import kinds
from opsready.kubernetes.options import parse_options
from opsready.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = sorted((ROOT / "experiments").rglob("*.yaml"))
K8S = sorted((ROOT / "experiments" / "k8s").glob("*.yaml"))


def providers(data: Any) -> Iterator[dict[str, Any]]:
    """Every ``provider`` mapping anywhere in an experiment (activities, hypothesis, rollbacks, controls)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "provider" and isinstance(value, dict):
                yield value
            yield from providers(value)
    elif isinstance(data, list):
        for item in data:
            yield from providers(item)


def test_there_are_experiments_and_kubernetes_ones_among_them() -> None:
    """The scan below sees the whole tree, subdirectories included."""
    assert len(EXPERIMENTS) > len(K8S) >= 2


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: str(p.relative_to(ROOT / "experiments")))
def test_every_provider_is_opsreadys(path: Path) -> None:
    """Python providers from opsready's modules only; no process or HTTP provider."""
    found = list(providers(load_yaml(path)))
    assert found, path
    foreign = [p for p in found if p.get("type") != "python" or not str(p.get("module", "")).startswith("opsready.")]
    assert not foreign, f"{path.name}: providers outside opsready bypass the guard: {foreign}"


def test_the_scan_catches_a_foreign_provider() -> None:
    """The check above would see chaostoolkit-kubernetes nested in a method step."""
    data = {"method": [{"type": "action", "provider": {"type": "python", "module": "chaosk8s.pod.actions"}}]}
    assert [p["module"] for p in providers(data)] == ["chaosk8s.pod.actions"]


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.stem)
def test_kubernetes_experiments_use_the_kubernetes_targets_fault_kinds(path: Path) -> None:
    """Each validates against the kind target's fault kinds, injects through the guard and reverts on every outcome."""
    config = load_config(ROOT / "opsready.yaml")
    name = load_yaml(path)["configuration"]["opsready_target"]
    target = config.target(name)
    assert target.platform == "kubernetes"
    experiment = load_experiment(path, kinds(parse_options(config, target)))
    assert experiment.faults, path
    funcs = {s.provider.rsplit(":", 1)[-1] for s in experiment.steps}
    assert {"inject", "detect", "revert", "await_steady_state", "revert_all"} <= funcs, funcs
