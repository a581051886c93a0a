"""runbooks/coverage.yaml: the shipped list reads against the shipped runbooks; each mistake is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.runbooks import runbook_infos
from opsready.runbooks.catalogue import read_catalogue

ROOT = Path(__file__).resolve().parents[3]
GOOD = "version: 1\nscenarios:\n  - id: a\n    title: A\n    runbooks: [rollback]\n"


def test_the_shipped_list_names_only_shipped_runbooks() -> None:
    known = {r.id for r in runbook_infos(ROOT / "runbooks")}
    catalogue = read_catalogue(ROOT / "runbooks" / "coverage.yaml", known)
    kinds = {item.kind for item in catalogue.items}
    assert kinds == {"scenario", "incident class"}
    assert {"database-unavailable", "kubernetes-cluster-down", "feature-not-working"} <= {i.id for i in catalogue.items}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("[rollback]", "[nope]"), 5, "names runbook 'nope', which no runbook declares"),
        (GOOD.replace("    title: A\n", "    title: A\n    owner: x\n"), 5, "unknown key 'owner'"),
        (GOOD + "  - id: a\n    title: B\n    runbooks: []\n", 6, "duplicate item id 'a' (first at"),
        (GOOD.replace("version: 1", "version: 2"), 1, "unsupported coverage list version 2"),
        (GOOD.replace("id: a", "id: A b"), 3, "'id' must be kebab-case"),
        (GOOD.replace("scenarios:", "scenarioz:"), 2, "unknown key 'scenarioz'"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "coverage.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError) as raised:
        read_catalogue(path, {"rollback"})
    assert raised.value.loc is not None and raised.value.loc.line == line
    assert message in raised.value.message


def test_lint_reports_a_bad_coverage_list(tmp_path: Path) -> None:
    """`opsready runbooks lint` (and so the gate) checks the list too: a runbook id it names must exist."""
    from opsready.runbooks import lint

    (tmp_path / "runbooks").mkdir()
    (tmp_path / "features").mkdir()
    (tmp_path / "runbooks" / "coverage.yaml").write_text(GOOD)
    report = lint(tmp_path / "runbooks", tmp_path / "features")
    assert [(p.loc.line, "names runbook 'rollback'" in p.message) for p in report.errors] == [(5, True)]
