"""docs/your-service.md's "try it on the sandbox first", followed literally: from an empty directory, `opsready init
--platform sandbox` and `opsready gate --candidate 1.1.0` with the installed package, on a sandbox of the test's own
(its state directory, free ports) that the gate starts and stops. READY with the synthetic-flaw rehearsal passed, the
candidate serving, and the sandbox down again. Prints the time from the empty directory to the green gate."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fleet.tutorial import BIN, DOCUMENT, environment, follow, read_report, steps

pytestmark = pytest.mark.sandbox


def test_the_sandbox_path_of_the_tutorial_gates_the_candidate_green(tmp_path: Path) -> None:
    """Every block marked for the sandbox, in order; the candidate's three scenarios and the host state passed; the
    sandbox down and purged after."""
    followed = steps(DOCUMENT, "sandbox tutorial")
    assert [s.kind for s in followed] == ["installed", "run"], followed
    home = tmp_path / "empty"
    home.mkdir()
    env = environment(tmp_path)
    suite = home / "try-it"
    try:
        cwd, timings = follow(followed, home, env, {}, lambda *_: None)
        data = read_report(cwd)
        assert (data["kind"], data["verdict"]) == ("gate", "ready"), data["verdict"]
        outcomes = {s["name"]: s["outcome"] for s in data["scenarios"]}
        assert outcomes["A synthetic flaw on the candidate is ended by the real rollback"] == "passed", outcomes
        assert set(outcomes.values()) == {"passed"} and len(outcomes) == 4, outcomes
        status = subprocess.run(
            [str(BIN / "opsready"), "sandbox", "status"],
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "sandbox: down" in status.stdout and "release: 1.1.0" in status.stdout, status.stdout + status.stderr
    finally:
        if suite.is_dir():  # whatever happened, nothing of this test's sandbox is left: processes, data, state
            down = subprocess.run(
                [str(BIN / "opsready"), "sandbox", "down", "--purge"],
                check=False,
                cwd=suite,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
    assert down.returncode == 0, down.stdout + down.stderr
    assert not (tmp_path / "state").exists()
    total = sum(seconds for _, seconds in timings)
    for command, seconds in timings:
        print(f"{seconds:7.1f} s  {command}")
    print(f"tutorial on the sandbox: empty directory to a green gate {total:.1f} s")
