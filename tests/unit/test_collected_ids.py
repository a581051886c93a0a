"""No test is dropped: the suite still collects every test it collected on 2026-12-02 (a superset of that list).

Reorganising the suite (packages, parallel passes, serial groups) must not lose a test; a test that is renamed on
purpose is renamed in the list too, in the same commit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "data" / "collected-ids-2026-12-02.txt"


def _collected() -> set[str]:
    """Test IDs of ``pytest --collect-only -q`` at the repository root, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # no xdist worker role
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_every_test_of_the_baseline_is_still_collected() -> None:
    """Every ID in the baseline list is among the IDs the suite collects now."""
    baseline = [line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(baseline) == 1120
    missing = sorted(set(baseline) - _collected())
    assert not missing, f"{len(missing)} test(s) of the baseline are no longer collected: {missing[:20]}"
