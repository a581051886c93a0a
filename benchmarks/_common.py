"""Helpers shared by the benchmark scripts: medians, a private sandbox, and printing."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opsready.config import load_config
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.manager import Sandbox, SandboxOptions

ROOT = Path(__file__).resolve().parents[1]


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
