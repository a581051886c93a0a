"""readiness.html carries the runbook quality section when the suite's root is known, measured over the history the
run was just appended to; without a root the section says it was not measured."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from opsready.drills.quality import QualitySources, gather, review_changes, step_texts
from opsready.drills.reporting import publish_run
from opsready.report import render_html
from opsready.results import RunResult, ScenarioResult, StepRef
from opsready.runbooks import parse_runbook
from opsready.timeline import Measurement, TimelineRecord

ROOT = Path(__file__).resolve().parents[3]


def run() -> RunResult:
    """A drill that recovered in 42 s and verified step 4 of the rollback runbook."""
    timeline = TimelineRecord("d", "2026-11-30T10:00:00.000Z", (), (Measurement("time to recover", "a", "b", 42.0),))
    scenario = ScenarioResult(
        "steps/test_rollback.py::test_a", "A bad release is rolled back", "Rollback", "passed", 1.0, ("rollback",),
        timeline=timeline, runbook_steps=(StepRef("rollback", 4),),
    )  # fmt: skip
    return RunResult("2026-11-30T10:00:00Z", "2026-11-30T10:01:00Z", 60.0, None, (scenario,), run_id="r1")


def test_readiness_html_holds_the_quality_section(tmp_path: Path) -> None:
    (tmp_path / "runbooks").mkdir()
    shutil.copy(ROOT / "runbooks" / "rollback.md", tmp_path / "runbooks" / "rollback.md")
    (tmp_path / "runbooks" / "coverage.yaml").write_text(
        "version: 1\nscenarios:\n  - id: a\n    title: A\n    runbooks: [rollback]\n"
    )
    published = publish_run(run(), tmp_path / "reports", root=tmp_path)
    html = published.files[2].read_text()
    section = html[html.index('<h2 id="quality">') : html.index('<h2 id="trends">')]
    assert len(re.findall(r'<tr id="quality-', section)) == 8
    assert "covered 1 of 1 (100.0 %)" in section
    assert "1 of 7 (14.3 %)" in section  # accuracy: step 4 verified by this very run
    assert "<td>42.0 s</td>" in section  # MTTR from the history the run was appended to
    assert section.count("no data") >= 3  # adherence, training, improvement (no git repository here)
    assert "<script" not in html


def test_without_a_root_the_section_says_it_was_not_measured(tmp_path: Path) -> None:
    html = render_html(run(), page_dir=tmp_path)
    assert '<h2 id="quality">' in html and "Runbook quality was not measured for this run." in html


def test_step_texts_run_to_the_next_step() -> None:
    """Each step's text spans its continuation lines; the last ends with the Steps section."""
    book = parse_runbook(ROOT / "runbooks" / "rollback.md")
    lines = (ROOT / "runbooks" / "rollback.md").read_text().splitlines()
    texts = step_texts(book, lines)
    assert [t.number for t in texts] == [1, 2, 3, 4, 5, 6, 7]
    assert texts[3].text.splitlines()[-1].strip().startswith("Expected outcome:")
    assert "## " not in texts[-1].text


def test_gather_reads_the_shipped_suite() -> None:
    day = parse_runbook(ROOT / "runbooks" / "rollback.md").last_reviewed
    inputs = gather(QualitySources(ROOT, Path("no-such-history.jsonl")), day, strict=True)
    assert len(inputs.coverage) >= 20 and "rollback" in inputs.drilled and inputs.runs == ()


def test_review_dates_are_read_from_the_runbooks_git_history(tmp_path: Path) -> None:
    """Each commit that sets last_reviewed is one review, on the file it changed; no git history: None."""
    import subprocess
    from datetime import date

    def git(*args: str, day: str = "2026-10-01T12:00:00") -> None:
        env = {"GIT_AUTHOR_DATE": day, "GIT_COMMITTER_DATE": day, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args], env=env,
                       check=True, capture_output=True)  # fmt: skip

    assert review_changes(tmp_path) is None
    book = tmp_path / "runbooks" / "a.md"
    book.parent.mkdir()
    git("init", "-q")
    book.write_text("---\nid: a\nlast_reviewed: 2026-09-30\n---\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-qm", "a")
    book.write_text("---\nid: a\nlast_reviewed: 2026-11-15\n---\n", encoding="utf-8")
    git("commit", "-qam", "reviewed", day="2026-11-16T09:00:00")
    found = review_changes(tmp_path)
    assert found is not None
    assert [(r.day, r.path, r.last_reviewed) for r in found] == [
        (date(2026, 10, 1), "runbooks/a.md", date(2026, 9, 30)),
        (date(2026, 11, 16), "runbooks/a.md", date(2026, 11, 15)),
    ]
