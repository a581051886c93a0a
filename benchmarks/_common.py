"""Helpers shared by the benchmark scripts: medians, a private sandbox, and printing."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsready.config import load_config
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions

ROOT = Path(__file__).resolve().parents[1]

if TYPE_CHECKING:
    from tests.fleet.fleet import Fleet


def summary(name: str, values: list[float], unit: str = "s") -> str:
    """'name: median 1.23 s (min 1.1, max 1.4, n=5)'."""
    return (
        f"{name}: median {statistics.median(values):.2f} {unit} "
        f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
    )


@contextmanager
def private_sandbox(database: str = "auto") -> Iterator[SandboxTarget]:
    """A sandbox on free ports in a temporary state directory, brought down afterwards."""
    with tempfile.TemporaryDirectory(prefix="opsready-bench-") as tmp:
        sandbox = Sandbox(SandboxOptions(state_dir=Path(tmp) / "state", ports="auto", database=database))
        try:
            sandbox.up()
            yield SandboxTarget("sandbox", sandbox)
        finally:
            sandbox.down(purge=True)


def config():  # type: ignore[no-untyped-def]
    """The repository's opsready.yaml."""
    return load_config(ROOT / "opsready.yaml")


def on_fleet(doc: str, default_runs: int, measure: Callable[[Fleet, Path, int], list[Any]]) -> int:
    """A benchmark on the test fleet: ``--runs``; where no fleet can be built, say why and exit 0; else build one,
    ``measure(fleet, scratch directory, runs)`` (it returns what it found left behind), tear the fleet down, and exit
    1 when something was left or the teardown had problems."""
    import argparse
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.fleet.fleet import Fleet
    from tests.fleet.needs import fleet_unavailable

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=default_runs)
    args = parser.parse_args()
    reason = fleet_unavailable()
    if reason:
        print(f"skipped: no test fleet: {reason}")
        return 0
    fleet = Fleet().build()
    left: list[Any] = []
    try:
        with tempfile.TemporaryDirectory(prefix="opsready-bench-") as tmp:
            left = measure(fleet, Path(tmp), args.runs)
    finally:
        problems = fleet.teardown()
    if left or problems:
        print(f"left behind: {left}; fleet teardown problems: {problems}")
        return 1
    return 0
