"""make test drives its scenarios with opsready.tests.yaml: opsready.yaml with a shorter soak and the sandbox without
monitoring (the tests that need Prometheus start sandboxes of their own with it), and nothing else.

The gate keeps the documented soak of opsready.yaml; the tests watch a fresh release for less time, which is enough
for every rollback trigger to see its ``min_requests`` (the rollback scenarios fail otherwise: the release would pass).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from opsready.config import load_config
from opsready.sandbox.adapter import parse_options

ROOT = Path(__file__).resolve().parents[2]


def test_the_tests_configuration_is_the_suites_with_a_shorter_soak() -> None:
    """Same targets, SLOs, triggers, safety and policies as opsready.yaml; only the soak is shorter, and the
    sandbox runs no Prometheus (each of make test's sandboxes would pay for it)."""
    suite = yaml.safe_load((ROOT / "opsready.yaml").read_text(encoding="utf-8"))
    tests = yaml.safe_load((ROOT / "opsready.tests.yaml").read_text(encoding="utf-8"))
    tests["rollback_triggers"]["soak"] = suite["rollback_triggers"]["soak"]
    assert (suite["targets"]["sandbox"]["monitoring"], tests["targets"]["sandbox"]["monitoring"]) == ("auto", False)
    tests["targets"]["sandbox"]["monitoring"] = "auto"
    assert tests == suite
    documented, shorter = load_config(ROOT / "opsready.yaml"), load_config(ROOT / "opsready.tests.yaml")
    assert documented.triggers.soak == 10.0 and shorter.triggers.soak == 4.0
    assert shorter.root == documented.root
    assert parse_options(shorter, shorter.target("sandbox")).monitoring == "off"
    assert (
        parse_options(documented, documented.target("sandbox")).monitoring == "auto"
    )  # experiments/, runbooks/ and loadtests/ are found the same way
