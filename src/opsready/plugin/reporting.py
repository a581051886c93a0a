"""Turn the run's collected results into readiness.json and readiness.md."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsready.plugin.state import RunState
from opsready.results import RunResult


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def build_result(config: pytest.Config, state: RunState) -> RunResult:
    """The run as frozen data."""
    markexpr = config.getoption("markexpr", "") or ""
    return RunResult(
        started=_iso(state.started_wall),
        finished=_iso(datetime.now(tz=UTC)),
        duration=time.monotonic() - state.started,
        target=state.target,
        scenarios=tuple(state.results.values()),
        selection=f"-m {markexpr}" if markexpr else "all",
    )


def write_reports(config: pytest.Config, state: RunState, directory: Path) -> RunResult:
    """Write readiness.json and readiness.md into ``directory``."""
    from opsready.report import write_json, write_markdown

    directory.mkdir(parents=True, exist_ok=True)
    result = build_result(config, state)
    write_json(result, directory / "readiness.json")
    write_markdown(result, directory / "readiness.md")
    return result
