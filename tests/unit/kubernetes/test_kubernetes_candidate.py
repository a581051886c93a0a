"""Kubernetes offers no synthetic-flaw fault today: the release-candidate gate's rollback rehearsal is reported as
not done there (never as passed), and nothing is injected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.drills.candidate import CandidatePlan
from opsready.drills.rehearsal import flaw_support, rehearse_flaw
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.timeline import Timeline


def test_the_rehearsal_is_not_done_on_kubernetes(
    make_target: Callable[..., KubernetesTarget], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reason names the platform and the missing fault kind; the timeline says so; no fault journal exists."""
    monkeypatch.setenv("OPSREADY_STATE_DIR", str(tmp_path / "state"))  # journals of its own, not the run's shared
    target = make_target()
    assert tmp_path in target.fault_journal_dir().parents
    assert "offers no 'synthetic-flaw' fault kind" in flaw_support(target)
    config = load_config(Path(__file__).resolve().parents[3] / "opsready.yaml")
    timeline = Timeline("rehearsal")
    result = rehearse_flaw(config, target, timeline, CandidatePlan("k8s", "1.1.0", "1.0.0"))
    assert result.status == "not done" and result.trigger is None and result.journal is None
    assert result.describe().startswith("rollback rehearsal not done: platform 'kubernetes'")
    assert not timeline.has("injected") and "not done" in (timeline.last("finished") or timeline).detail  # type: ignore[union-attr]
    assert not target.fault_journal_dir().exists() or not any(target.fault_journal_dir().iterdir())
