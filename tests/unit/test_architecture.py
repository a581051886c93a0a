"""The floors of docs/design.md hold: import-linter's contracts (.importlinter) are kept, and a face module calls at
most one capability package directly (code that combines two lives in opsready.drills)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "opsready"
FACES = ("cli", "plugin", "bdd")
CAPABILITIES = frozenset(
    {"capacity", "chaos", "deploy", "gameday", "incident", "maintenance", "troubleshooting", "runbooks", "report"}
)


def _imported_packages(path: Path) -> set[str]:
    """Top-level opsready subpackages a module imports, at any depth of its code (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "opsready" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_import_contracts_are_kept() -> None:
    """lint-imports reports every contract kept: layers, adapters reached only through the registry."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed: `make venv` installs it with the dev extra")
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("face", FACES)
def test_a_face_module_calls_at_most_one_capability(face: str) -> None:
    """A face (cli, plugin, step library) may call one capability; combining two belongs to opsready.drills."""
    offenders = {}
    for path in sorted((SRC / face).rglob("*.py")):
        used = _imported_packages(path) & CAPABILITIES
        if len(used) > 1:
            offenders[str(path.relative_to(ROOT))] = sorted(used)
    assert not offenders, f"face modules combining capabilities (move that code to opsready.drills): {offenders}"
