"""make test's layout (tests/layout.py): which tests of today's suite run alone, and where each process keeps its
sandbox's state."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.layout import SERIAL, serial_reason

ROOT = Path(__file__).resolve().parents[2]
IDS = (ROOT / "tests" / "data" / "collected-ids-2026-12-02.txt").read_text(encoding="utf-8").splitlines()


def test_machine_wide_faults_load_and_timed_diagnoses_run_alone() -> None:
    """Every injected CPU hog or memory pressure, the capacity scenarios, the latency diagnoses and the single-shot
    healthy diagnoses are serial."""
    serial = {i for i in IDS if serial_reason(i) is not None}
    assert {i for i in IDS if i.startswith("steps/test_capacity.py::")} <= serial
    target = {i for i in IDS if i.startswith(("steps/", "tests/integration/"))}
    assert {i for i in target if "[cpu-hog-" in i or "[memory-pressure-" in i} <= serial
    assert {i for i in IDS if "test_added_latency_" in i} <= serial
    healthy = {i for i in target if re.search(r"::test_a_healthy_\w+_diagnoses_(as_)?healthy", i)}
    assert len(healthy) == 2 and healthy <= serial, healthy
    assert all(i.startswith(("steps/", "tests/integration/")) for i in serial)
    unmatched = [text for text, _ in SERIAL if not any(text in i for i in IDS) and not _exists(text)]
    assert not unmatched, f"rules that match no test: {unmatched}"


def _exists(rule: str) -> bool:
    """A rule naming a test file added after the list of IDs was taken (``name.py::``) names one that exists."""
    return rule.endswith(".py::") and any(ROOT.glob(f"tests/**/{rule.removesuffix('::')}"))


def test_everything_else_shares_the_machine() -> None:
    """The serial pass stays small: most scenarios and integration tests run on several sandboxes at once."""
    target = [i for i in IDS if i.startswith(("steps/", "tests/integration/"))]
    serial = [i for i in target if serial_reason(i) is not None]
    assert 0 < len(serial) <= len(target) // 5
    assert serial_reason("steps/test_rollback.py::test_manual_rollback_to_the_previous_release") is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("--layout-pass=parallel",), "tac"), (("--layout-pass=serial",), "b"), ((), "abct")],
)
def test_a_pass_runs_its_tests_in_a_state_directory_of_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: str
) -> None:
    """The parallel pass leaves out the serial tests and starts with the longest files, the serial pass runs only
    the serial tests; each pass gets its own state directory."""
    (pytester.path / "steps").mkdir()
    pytester.makepyfile(
        **{
            "steps/test_a": """
        import os

        def test_a(): print("ran a", os.environ["OPSREADY_STATE_DIR"])
        def test_added_latency_b(): print("ran b", os.environ["OPSREADY_STATE_DIR"])
        def test_c(): print("ran c", os.environ["OPSREADY_STATE_DIR"])
        """,
            "steps/test_troubleshooting": """
        import os

        def test_t(): print("ran t", os.environ["OPSREADY_STATE_DIR"])
        """,
        }
    )
    base = pytester.path / "state"
    monkeypatch.setenv("OPSREADY_STATE_DIR", str(base))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    result = pytester.runpytest_subprocess("-p", "tests.layout", "-s", "-p", "no:cacheprovider", *args)
    ran = dict(re.findall(r"ran (\w) (\S+)", result.stdout.str()))
    assert "".join(ran) == expected, result.outlines
    which = args[0].split("=")[1] if args else "all"
    assert set(ran.values()) == {str(base / which)}


@pytest.mark.parametrize("purged", [False, True])
def test_a_run_that_leaves_postgresql_data_in_var_tmp_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, purged: bool
) -> None:
    """A test that makes a marked data directory in /var/tmp for a state directory of its tmp and leaves it makes
    the whole run fail, naming it; removing it keeps the run green."""
    pytester.makepyfile(
        test_leaves=f"""
        import json
        import shutil

        from opsready.sandbox import pgroot
        from opsready.sandbox.layout import outside_pg_root

        def test_makes_data(tmp_path):
            state = (tmp_path / "state").resolve()
            root = outside_pg_root(state)
            root.mkdir()
            (root / pgroot.MARKER).write_text(json.dumps(pgroot.Owner(state, "x" * 32).to_json()))
            print("made", root)
            if {purged}:
                shutil.rmtree(root)
        """
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    result = pytester.runpytest_subprocess("-p", "tests.layout", "-s", "-p", "no:cacheprovider")
    made = Path(re.findall(r"made (\S+)", result.stdout.str())[0])
    try:
        assert made.name.startswith("opsready-pg-")
        if purged:
            assert result.ret == pytest.ExitCode.OK, result.outlines
        else:
            assert result.ret == pytest.ExitCode.TESTS_FAILED, result.outlines
            result.stdout.fnmatch_lines(["PostgreSQL data left behind by this run*", f"{made} (state directory *"])
    finally:
        shutil.rmtree(made, ignore_errors=True)
