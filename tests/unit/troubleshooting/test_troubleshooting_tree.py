"""The decision tree as data: the shipped tree validates, and every kind of mistake is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.troubleshooting.load import anchors, check_tree, load_tree

ROOT = Path(__file__).resolve().parents[3]
RUNBOOK = """\
---
id: guide
---
# Guide

## Frozen api

Run `opsready remedy resume --component api`.

```text
## not a heading inside a fence
```
"""

# Line numbers matter: the tests point at exact lines of this text (and of variants built from it).
TREE = """\
version: 1
root: up
questions:
  up:
    question: Do users get answers?
    probe: availability
    args: {timeout: 1s}
    timeout: 3s
    ok: fine
    failed: api
  api:
    question: Is the api running?
    probe: component
    args: {component: api}
    ok: fine
    failed: broken
    answers: {frozen: frozen}
diagnoses:
  fine:
    diagnosis: All good.
    category: healthy
    runbook: guide
  broken:
    diagnosis: The api is down.
    category: infrastructure
    severity: critical
    runbook: guide
  frozen:
    diagnosis: The api is frozen.
    category: infrastructure
    severity: critical
    evidence: [processes, logs:api]
    runbook: guide#frozen-api
    remedy: {action: resume, component: api}
"""


@pytest.fixture
def runbooks(tmp_path: Path) -> dict[str, Path]:
    """One runbook, id 'guide', with a '## Frozen api' section that prescribes the resume remedy."""
    path = tmp_path / "guide.md"
    path.write_text(RUNBOOK)
    return {"guide": path}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tree.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str, runbooks: dict[str, Path]) -> list[str]:
    _, found = check_tree(write(tmp_path, text), runbooks)
    return [str(p) for p in found]


def test_the_shipped_tree_validates_against_the_shipped_runbooks() -> None:
    """runbooks/troubleshooting-tree.yaml: every probe, answer, node, runbook section and remedy checks out."""
    from opsready.drills.troubleshooting import known_runbooks

    path = ROOT / "runbooks" / "troubleshooting-tree.yaml"
    tree = load_tree(path, known_runbooks(path.parent))
    assert tree.root == "unavailable"
    assert {"healthy", "api-frozen", "database-lock", "edge-bandwidth", "cpu-hog"} <= set(tree.diagnoses)
    assert all(d.runbook.path for d in tree.diagnoses.values())
    assert tree.time_limit == tree.longest() > 0


def test_a_good_tree_loads_with_its_branches_and_bound(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """Questions keep their probe call and branches; the time limit is the slowest path's sum of timeouts."""
    tree = load_tree(write(tmp_path, TREE), runbooks)
    api = tree.questions["api"]
    assert api.call.probe == "component" and dict(api.call.kwargs) == {"name": "api"}
    assert api.next_for("failed", "frozen") == "frozen"
    assert api.next_for("failed", "stopped") == "broken"
    assert api.next_for("hung") == "broken"
    assert tree.diagnoses["frozen"].remedy.command() == "opsready remedy resume --component api"
    assert tree.time_limit == 3.0 + 5.0  # 'up' says 3 s, 'api' takes the default 5 s


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("probe: availability", "probe: availabilty", 6, "unknown probe 'availabilty' (did you mean 'availability'?)"),
        ("args: {timeout: 1s}", "args: {timeout: 1 sec, retries: 3}", 7, "unknown key 'retries'"),
        ("args: {component: api}", "args: {}", 14, "missing required key 'component'"),
        (
            "answers: {frozen: frozen}",
            "answers: {frozne: frozen}",
            17,
            "never answers 'frozne' (did you mean 'frozen'?)",
        ),
        ("    failed: api\n", "    failed: apii\n", 10, "'up' leads to unknown node 'apii' (did you mean 'api'?)"),
        ("    failed: broken\n", "    failed: up\n", 16, "cycle: up -> api -> up"),
        ("    runbook: guide\n  frozen:", "  frozen:", 23, "diagnosis 'broken' names no runbook to follow"),
        ("runbook: guide#frozen-api", "runbook: guid#frozen-api", 33, "runbook 'guid' does not exist (did you mean"),
        ("runbook: guide#frozen-api", "runbook: guide#frozen", 33, "has no section '#frozen' (did you mean"),
        ("    severity: critical\n    evidence", "    evidence", 28, "diagnosis 'frozen' needs a 'severity'"),
        ("evidence: [processes, logs:api]", "evidence: [proceses]", 32, "unknown evidence 'proceses'"),
        ("{action: resume, component: api}", "{action: resume}", 34, "remedy 'resume' needs 'component'"),
        ("{action: resume, component: api}", "{action: restart, component: api}", 34, "does not prescribe"),
        ("timeout: 3s", "timeout: 2 minutes", 8, "'timeout' must be between 0.1 s and 60 s"),
    ],
)
def test_mistakes_are_reported_at_their_line(  # noqa: PLR0917  # pytest passes parameters positionally
    tmp_path: Path, runbooks: dict[str, Path], old: str, new: str, line: int, message: str
) -> None:
    """Each mistake: path:line and a message that says what is wrong (and what was meant, when it can tell)."""
    assert old in TREE
    path = write(tmp_path, TREE.replace(old, new, 1))
    with pytest.raises(ValidationError) as caught:
        load_tree(path, runbooks)
    assert f"{path}:{line}: " in str(caught.value)
    assert message in str(caught.value)


def test_unreachable_nodes_are_reported_at_their_own_line(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """A node the root cannot reach is dead text in a runbook: an error where it is written."""
    text = TREE.replace("    failed: broken\n", "    failed: fine\n", 1)
    assert problems(tmp_path, text, runbooks) == [
        f"{tmp_path / 'tree.yaml'}:23: node 'broken' cannot be reached from the root 'up'"
    ]


def test_every_problem_is_collected_for_the_check_command(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """`diagnose --check` lists every reference problem at once, in line order, not only the first."""
    text = TREE.replace("ok: fine\n    failed: api", "ok: fin\n    failed: api", 1).replace(
        "runbook: guide\n", "runbook: nope\n", 1
    )
    found = problems(tmp_path, text, runbooks)
    assert len(found) == 2
    assert ":9: 'up' leads to unknown node 'fin'" in found[0]
    assert ":22: runbook 'nope' does not exist" in found[1]


def test_a_root_that_is_no_question_is_an_error(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """The walk must start with a question."""
    found = problems(tmp_path, TREE.replace("root: up", "root: fine"), runbooks)
    assert found == [f"{tmp_path / 'tree.yaml'}:2: root 'fine' is not a question"]


def test_anchors_are_the_headings_outside_code_fences(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """GitHub-style anchors of every heading level; a '##' inside a fenced block is no heading."""
    assert anchors(runbooks["guide"]) == {"guide", "frozen-api"}


def test_the_check_command_validates_without_a_target(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """`opsready diagnose --check`: exit 0 with the tree's size and bound; every problem with exit 2 otherwise."""
    from click.testing import CliRunner

    from opsready.cli.main import cli

    config = str(ROOT / "opsready.yaml")
    good = CliRunner().invoke(cli, ["diagnose", "--check", "--config", config, "--tree", str(write(tmp_path, TREE))])
    assert good.exit_code == 0, good.output
    assert "ok (2 questions, 3 diagnoses, slowest path 8 s)" in good.output
    broken = TREE.replace("ok: fine\n    failed: api", "ok: fin\n    failed: api", 1).replace(
        "runbook: guide\n", "runbook: nope\n", 1
    )
    bad = CliRunner().invoke(cli, ["diagnose", "--check", "--config", config, "--tree", str(write(tmp_path, broken))])
    assert bad.exit_code == 2
    assert bad.output.count("error: ") == 2 and "Traceback" not in bad.output


def test_a_problem_naming_brackets_is_printed_whole(tmp_path: Path, runbooks: dict[str, Path]) -> None:
    """A tree problem whose text holds brackets (a runbook id like 'db[primary]') is printed as written, not eaten as
    terminal markup."""
    from click.testing import CliRunner

    from opsready.cli.main import cli

    config = str(ROOT / "opsready.yaml")
    broken = TREE.replace("runbook: guide\n", "runbook: db[primary]\n", 1)
    bad = CliRunner().invoke(cli, ["diagnose", "--check", "--config", config, "--tree", str(write(tmp_path, broken))])
    assert bad.exit_code == 2
    assert "db[primary]" in bad.output, bad.output
