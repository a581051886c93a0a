"""The one drill-plan builder refuses a runbook it cannot rehearse at the runbook's own line, before the target is
asked anything; incident runbooks are found by their declared id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.drills.plan import find_incident_runbook, incident_runbooks, plan_drill
from opsready.errors import UsageError, ValidationError
from opsready.incident.files import IncidentFiles
from opsready.targets.protocol import Target
from opsready.targets.registry import open_target

REPO = Path(__file__).resolve().parents[3]
RUNBOOK = REPO / "runbooks" / "incidents" / "feature-not-working.md"


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A suite with the repository's experiments, profiles, opsready.yaml and one incident runbook (a copy to edit)."""
    monkeypatch.setenv("OPSREADY_STATE_DIR", str(tmp_path / "state"))
    shutil.copy(REPO / "opsready.yaml", tmp_path / "opsready.yaml")
    (tmp_path / "experiments").symlink_to(REPO / "experiments")
    (tmp_path / "profiles").symlink_to(REPO / "profiles")
    incidents = tmp_path / "runbooks" / "incidents"
    incidents.mkdir(parents=True)
    shutil.copy(RUNBOOK, incidents / RUNBOOK.name)
    return tmp_path


def _target(suite: Path) -> Target:
    """The sandbox target of the suite, not started: the refusals below must not need it."""
    return open_target(load_config(suite / "opsready.yaml"))


def _edit(suite: Path, old: str, new: str) -> Path:
    path = suite / "runbooks" / "incidents" / RUNBOOK.name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_runbook_without_a_severity_is_refused_unless_the_caller_gives_one(suite: Path) -> None:
    """No severity in the front matter and none from a game-day plan: a ValidationError at the runbook."""
    path = _edit(suite, "severity: medium\n", "")
    with pytest.raises(ValidationError, match="declares no severity") as caught:
        plan_drill(suite, path, _target(suite))
    assert caught.value.loc is not None and caught.value.loc.path == str(path)


def test_an_experiment_the_runbook_does_not_name_is_refused_at_its_experiments(suite: Path) -> None:
    """A drill rehearses a runbook with one of the experiments it names, never another."""
    path = suite / "runbooks" / "incidents" / RUNBOOK.name
    with pytest.raises(ValidationError, match="names experiments worker-stopped, not db-outage") as caught:
        plan_drill(suite, path, _target(suite), experiment="db-outage")
    assert caught.value.loc is not None and caught.value.loc.line == 9  # the 'experiments:' key


def test_a_runbook_naming_no_experiment_is_refused(suite: Path) -> None:
    """Without an experiment there is no fault to rehearse the runbook with."""
    path = _edit(suite, "experiments:\n  - worker-stopped\n", "")
    with pytest.raises(ValidationError, match="names no experiment"):
        plan_drill(suite, path, _target(suite))


def test_incident_runbooks_are_found_by_their_declared_id(suite: Path) -> None:
    """The id in the front matter, not the file name; an unknown id names the known ones and the closest."""
    files = IncidentFiles.of(load_config(suite / "opsready.yaml"))
    path = suite / "runbooks" / "incidents" / RUNBOOK.name
    assert incident_runbooks(files) == {"incident-feature-not-working": path}
    assert find_incident_runbook(files, "incident-feature-not-working") == path
    with pytest.raises(UsageError, match=r"did you mean 'incident-feature-not-working'.*known: incident-feature-not"):
        find_incident_runbook(files, "incident-feature-not-workin")
