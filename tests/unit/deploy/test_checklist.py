"""Checklist files: each item a known probe with valid arguments, errors at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.deploy.checklist import load_checklist
from opsready.errors import ValidationError

ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize("name", ["pre-deploy.yaml", "post-deploy.yaml"])
def test_shipped_checklists_load(name: str) -> None:
    """The repository's checklists are valid and have mandatory items for the emergency path."""
    checklist = load_checklist(ROOT / "runbooks" / "checklists" / name)
    assert checklist.items
    assert any(item.mandatory for item in checklist.items)


@pytest.mark.parametrize(
    ("items", "line", "fragment"),
    [
        ("  - name: x\n    probe: readyness\n", 4, "unknown probe 'readyness' (did you mean 'readiness'?)"),
        ("  - name: x\n    probe: error_rate\n    with: {windw: 1s}\n", 5, "unknown key 'windw'"),
        ("  - name: x\n    probe: error_rate\n    with: {max: lots}\n", 5, "expected a percentage"),
        ("  - name: x\n    probe: latency\n    with: {max: 3 parsecs}\n", 5, "unknown unit 'parsecs'"),
        ("  - name: x\n    prob: readiness\n", 3, "missing required key 'probe'"),
        ("  - name: x\n    probe: readiness\n    mandatory: yes please\n", 5, "'mandatory' must be true or false"),
        ("  - just a string\n", 3, "checklist item must be a mapping"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, items: str, line: int, fragment: str) -> None:
    """Every mistake names the file and the line, before any probe runs."""
    path = tmp_path / "c.yaml"
    path.write_text("checklist: c\nitems:\n" + items)
    with pytest.raises(ValidationError) as info:
        load_checklist(path)
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert fragment in str(info.value)
    assert info.value.exit_code == 2
