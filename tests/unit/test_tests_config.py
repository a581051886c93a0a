"""make test drives its scenarios with opsready.tests.yaml: opsready.yaml with a shorter soak, and nothing else.

The gate keeps the documented soak of opsready.yaml; the tests watch a fresh release for less time, which is enough
for every rollback trigger to see its ``min_requests`` (the rollback scenarios fail otherwise: the release would pass).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from opsready.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_tests_configuration_is_the_suites_with_a_shorter_soak() -> None:
    """Same targets, SLOs, triggers, safety and policies as opsready.yaml; only the soak is shorter."""
    suite = yaml.safe_load((ROOT / "opsready.yaml").read_text(encoding="utf-8"))
    tests = yaml.safe_load((ROOT / "opsready.tests.yaml").read_text(encoding="utf-8"))
    tests["rollback_triggers"]["soak"] = suite["rollback_triggers"]["soak"]
    assert tests == suite
    documented, shorter = load_config(ROOT / "opsready.yaml"), load_config(ROOT / "opsready.tests.yaml")
    assert documented.triggers.soak == 10.0 and shorter.triggers.soak == 4.0
    assert shorter.root == documented.root  # experiments/, runbooks/ and loadtests/ are found the same way
