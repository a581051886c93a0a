"""The release-candidate gate as pytest options: ``--candidate VERSION`` and ``--drills-only``.

The plan is made (and refused, with exit code REFUSED, before any scenario touches the target) by a session fixture
every test of a candidate run uses; at the end of the session it leaves the candidate serving when the run is ready,
the previous release when it is not (:mod:`opsready.drills.candidate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from opsready import exitcodes
from opsready.plugin.state import RUN_KEY

if TYPE_CHECKING:
    from opsready.config import Config
    from opsready.targets.protocol import Target

CANDIDATE_MARKER = "candidate"


def add_options(group: pytest.OptionGroup) -> None:
    """The candidate gate's options in the ``opsready`` group."""
    group.addoption(
        "--candidate",
        dest="opsready_candidate",
        metavar="VERSION",
        default=None,
        help="gate this release candidate: deploy it over the release the target serves, rehearse a rollback to "
        "that release and forward again, run the platform-neutral drills, and leave it serving only when ready",
    )
    group.addoption(
        "--drills-only",
        dest="opsready_drills_only",
        action="store_true",
        help="with --candidate that already serves: run only the platform-neutral drills (deploy nothing)",
    )


def check_options(config: pytest.Config) -> None:
    """--drills-only means nothing without --candidate."""
    if config.getoption("opsready_drills_only", False) and not config.getoption("opsready_candidate", None):
        raise pytest.UsageError("--drills-only needs --candidate VERSION (the release that already serves)")


def deselect(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drills only: the candidate's deploy and rollback scenarios are not run (nothing is deployed)."""
    if not config.getoption("opsready_drills_only", False):
        return
    kept = [i for i in items if i.get_closest_marker(CANDIDATE_MARKER) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def _ready(config: pytest.Config, suite: Config) -> bool:
    """The run's verdict so far (every scenario has run when the session's fixtures are torn down)."""
    from opsready.plugin.reporting import build_result, mark_expected_skips

    result = mark_expected_skips(build_result(config, config.stash[RUN_KEY]), suite.gate)
    return result.verdict == "ready"


@pytest.fixture(scope="session", autouse=True)
def candidate_plan(request: pytest.FixtureRequest) -> Iterator[object]:
    """The release-candidate plan of this run (None when no --candidate was given): refused before anything
    changes; at the end, the candidate or the previous release is left serving by the verdict."""
    version = request.config.getoption("opsready_candidate", None)
    if not version:
        yield None
        return
    from opsready.drills.candidate import leave, plan_candidate
    from opsready.errors import OpsreadyError, Refused

    config: Config = request.getfixturevalue("opsready_config")
    target: Target = request.getfixturevalue("target")
    state = request.config.stash[RUN_KEY]
    try:
        plan = plan_candidate(target, version, bool(request.config.getoption("opsready_drills_only")))
    except Refused as exc:
        state.refusal = exc.render()
        pytest.exit(f"release-candidate gate refused: {exc.render()}", returncode=exitcodes.REFUSED)
    except OpsreadyError as exc:
        state.refusal = exc.render()
        pytest.exit(f"release-candidate gate: {exc.render()}", returncode=exc.exit_code)
    state.candidate_lines.append(plan.describe())
    yield plan
    try:
        state.candidate_lines.append(leave(target, plan, _ready(request.config, config)))
    except OpsreadyError as exc:
        state.candidate_lines.append(f"could not leave the right release serving: {exc.render()}")
        raise
