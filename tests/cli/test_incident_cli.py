"""`opsready incident`: bad classification, escalation and template files each fail with path:line and exit code 2
before any target is touched; the simulation, the check and the action items print what people need."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opsready.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite directory with copies of the shipped incident inputs and a sandbox target that was never started."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: st\n"
    )
    runbooks = tmp_path / "runbooks"
    (runbooks / "templates").mkdir(parents=True)
    for name in ("incident-classification.yaml", "escalation.yaml"):
        shutil.copy(ROOT / "runbooks" / name, runbooks / name)
    for template in (ROOT / "runbooks" / "templates").glob("incident-*.md.j2"):
        shutil.copy(template, runbooks / "templates" / template.name)
    shutil.copytree(ROOT / "runbooks" / "incidents", runbooks / "incidents")
    shutil.copytree(ROOT / "experiments", tmp_path / "experiments", ignore=shutil.ignore_patterns("k8s"))
    return tmp_path


def run(suite: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(suite / "opsready.yaml")], catch_exceptions=False)


def test_the_shipped_inputs_check_clean(suite: Path) -> None:
    """Classification, escalation, templates and the six mitigations: ok, exit 0."""
    result = run(suite, "incident", "check")
    assert result.exit_code == 0, result.output + result.stderr
    assert "10 criteria over 4 severities" in result.stdout
    assert result.stdout.count("mitigation ok") == 6


BAD = [
    # (file under runbooks/, replace, with, a unique part of the reported line, message)
    ("incident-classification.yaml", "  low:\n", "  lowish:\n", "lowish:", "unknown severity 'lowish'"),
    ("incident-classification.yaml", '"4 hours"', '"4 hourz"', "4 hourz", "unknown unit 'hourz'"),
    ("incident-classification.yaml", "probe: backlog", "probe: backlogg", "backlogg", "unknown probe 'backlogg'"),
    (
        "incident-classification.yaml",
        "        up_to: 800ms\n",
        "        up_to: 900ms\n",
        "- name: slow-pages",
        "overlaps",
    ),
    (
        "incident-classification.yaml",
        '    response_time: "15 minutes"\n',
        "",
        'description: "System completely',
        "missing required key 'response_time'",
    ),
    (
        "incident-classification.yaml",
        "args: {window: 1 second}",
        "args: {windw: 1 second}",
        "windw",
        "unknown key 'windw'",
    ),
    ("incident-classification.yaml", 'escalation: "immediate"', 'escalation: "at once"', "at once", "bad duration"),
    (
        "escalation.yaml",
        "members: [alex, blake, casey]",
        "members: [alex, blake, casy]",
        "casy]",
        "unknown contact 'casy'",
    ),
    ("escalation.yaml", "  low:", "  lo:", "escalation:  ", "'low' has no escalation path"),
    ("escalation.yaml", "    - after: 5 minutes\n", "    - after: 5 minuts\n", "5 minuts", "unknown unit 'minuts'"),
    ("escalation.yaml", 'from: "08:00"', "from: 8", "from: 8", "write times in quotes"),
    (
        "escalation.yaml",
        "notify: [head-of-ops]\n      via: phone",
        "notify: [head-of-ops]\n      via: page",
        "via: page\n  high",
        "cannot be reached by page",
    ),
    (
        "escalation.yaml",
        "days: [mon, tue, wed, thu, fri, sat, sun]",
        "days: [mon, tue, wed, thu, fri]",
        "  team-lead:",
        "nobody on call",
    ),
    ("escalation.yaml", "    - after: 30 minutes\n", "    - after: 3 hours\n", "after: 2 hours", "time order"),
    (
        "templates/incident-initial.md.j2",
        "Status: {{ status }}.",
        "Status: {{ status }.",
        "Status: {{ status }.",
        "template syntax error",
    ),
    (
        "templates/incident-update.md.j2",
        "Status: {{ status }}.",
        "Status: {{ stauts }}.",
        "stauts",
        "'stauts' is not a field of incident notices (did you mean 'status'?)",
    ),
    (
        "templates/incident-resolution.md.j2",
        "{{ severity_description }}",
        "{{ severity_description | shout }}",
        "| shout",
        "filter",
    ),
    ("incidents/service-down.md", "- restart: api", "- restart: [api]", "- restart: [api]", "needs a name"),
    ("incidents/service-down.md", "  - api-paused\n", "  - api-pasued\n", "experiments:", "'api-pasued' not found"),
    ("incidents/service-down.md", "severity: critical\n", "", "id: incident-service-down", "declare its 'severity'"),
]


@pytest.mark.parametrize("case", BAD, ids=[f"{c[0]}: {c[4]}" for c in BAD])
def test_bad_input_is_one_line_at_its_place_and_exit_2(suite: Path, case: tuple[str, ...]) -> None:
    """Every mistake: `path:line: message`, exit code 2, no traceback, the target untouched."""
    name, old, new, where, message = case
    path = suite / "runbooks" / name
    text = path.read_text()
    assert old in text, old
    broken = text.replace(old, new, 1)
    path.write_text(broken)
    result = run(suite, "incident", "check")
    assert result.exit_code == 2, result.output + result.stderr
    line = broken[: broken.index(where)].count("\n") + 1
    assert f"{path}:{line}: " in result.stderr, (line, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (suite / "st").exists(), "nothing may be created on bad input"


def test_a_real_process_exits_2_without_a_traceback(suite: Path) -> None:
    """The installed command, not just the click runner: exit code 2 and the offending line quoted."""
    path = suite / "runbooks" / "incident-classification.yaml"
    path.write_text(path.read_text().replace("probe: readiness", "probe: readyness"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "opsready.cli",
            "incident",
            "escalation",
            "check",
            "--config",
            str(suite / "opsready.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert f"{path}:36: unknown probe 'readyness'" in result.stderr
    assert "probe: readyness" in result.stderr and "Traceback" not in result.stderr


def test_who_is_paged_for_a_critical_incident_unacknowledged_for_20_minutes(suite: Path) -> None:
    """The story's question, answered for a given moment (Christmas night, a team lead on holiday)."""
    result = run(
        suite,
        "incident",
        "escalation",
        "simulate",
        "--severity",
        "critical",
        "--unacknowledged",
        "20m",
        "--at",
        "2026-12-25 03:00",
    )
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "a critical incident classified 2026-12-25 03:00 UTC, unacknowledged for 20 min 0 s:"
    assert [line.split(": ")[1].split(" (")[0] for line in lines[1:]] == [
        "Alex Morgan",
        "Erin Fox",
        "Blake Chen",
        "Gale Hart",
        "Harper Ito",
    ]
    assert "replacing dana who is unavailable" in lines[2] and lines[5].startswith(
        "  +15 min 0 s (2026-12-25 03:15 UTC)"
    )
    short = run(suite, "incident", "escalation", "simulate", "--severity", "high", "--unacknowledged", "45 min")
    assert short.stdout.count("step ") == 2


def test_simulate_rejects_a_bad_duration_as_usage(suite: Path) -> None:
    """A wrong --unacknowledged is a usage error naming the option, exit 2."""
    result = run(suite, "incident", "escalation", "simulate", "--severity", "critical", "--unacknowledged", "soon")
    assert result.exit_code == 2 and "--unacknowledged: bad duration 'soon'" in result.stderr


def test_open_action_items_across_reviews(suite: Path) -> None:
    """Items from incident reviews and emergency-deployment reviews, overdue first; done ones only with --all."""
    reviews = suite / "reports" / "reviews"
    reviews.mkdir(parents=True)
    (reviews / "review-a.md").write_text(
        "# R\n\n## Action items\n\n- [ ] Fix the alert (owner: dana, due: 2020-01-01)\n"
        "- [x] Done already (owner: erin, due: 2020-01-01)\n\n> **TO COMPLETE** (team): more\n"
    )
    (reviews / "emergency-b.md").write_text("# E\n\n## To complete (owner: release manager)\n- [ ] Run the checks\n")
    result = run(suite, "incident", "actions")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert (
        lines[0]
        == f"{reviews / 'review-a.md'}:5: [OVERDUE] dana, 2020-01-01: Fix the alert (owner: dana, due: 2020-01-01)"
    )
    assert lines[1] == f"{reviews / 'emergency-b.md'}:4: [open] release manager, no due date: Run the checks"
    assert lines[2] == "2 open action item(s) in 2 review(s); 1 section(s) still marked TO COMPLETE"
    assert "Done already" in run(suite, "incident", "actions", "--all").stdout


def test_mitigating_an_unknown_runbook_changes_nothing(suite: Path) -> None:
    """A misspelt runbook id is a usage error with a suggestion; the sandbox is not even opened."""
    result = run(suite, "incident", "mitigate", "incident-service-dwn")
    assert result.exit_code == 2
    assert "did you mean 'incident-service-down'" in result.stderr
    assert not (suite / "st").exists()
