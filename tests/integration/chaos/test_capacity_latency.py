"""A capacity drill's link latency is a guarded fault, against a real sandbox (the module's).

- It is one more toxic on the proxy: applied and removed while a chaos fault is on the same proxy, it leaves that
  fault's toxic in place (it used to replace every toxic of the proxy, without its lock).
- It is journaled and watched: a drill killed with SIGKILL leaves it to ``opsready recover``, which reverts it.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from opsready.chaos.guard import FaultGuard
from opsready.chaos.journal import FaultJournal
from opsready.chaos.readback import read_journal
from opsready.config import load_config
from opsready.drills.links import SlowLinks, fault_name
from opsready.errors import Loc, OpsreadyError
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.proxy import control
from opsready.targets.capacity import Link
from opsready.targets.faults import faults_of, parse_fault_spec
from tests.integration.chaos.chaos_harness import Env, opsready, watchdogs_after

pytestmark = [pytest.mark.sandbox, pytest.mark.chaos, pytest.mark.capacity]


def _kinds(env: Env, proxy: str) -> tuple[list[str], list[str]]:
    """The kinds of toxics a proxy is asked to apply (state file) and applies (status), read from its own files."""
    state = env.sandbox.layout.proxies / f"{proxy}.json"
    wanted = [t.kind for t in control.read_state(state).toxics]
    return wanted, [t.kind for t in control.read_status(control.status_path(state)).toxics]


@pytest.fixture
def watched(chaos_env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """The module's sandbox, with the environment its watchdogs inherit; every fault reverted afterwards."""
    for key in ("OPSREADY_STATE_DIR", "OPSREADY_PORTS", "OPSREADY_CONFIG"):
        monkeypatch.setenv(key, chaos_env.env[key])
    yield chaos_env
    done = opsready(chaos_env, "recover", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    watchdogs_after(chaos_env.journals)  # each watchdog sees its fault settled in the journal and exits
    assert _kinds(chaos_env, "edge") == ([], []) and _kinds(chaos_env, "db") == ([], [])


@pytest.mark.parametrize("proxy", ["edge", "db"])
def test_a_capacity_latency_leaves_a_guarded_fault_on_the_same_proxy(watched: Env, proxy: str) -> None:
    """A reset fault through the guard, then a capacity latency on its proxy applied and removed: the reset stays."""
    target = faults_of(SandboxTarget("sandbox", watched.sandbox))
    journal = FaultJournal.create(target.fault_journal_dir(), "chaos", "sandbox", str(watched.config))
    guard = FaultGuard(target, journal, watched.config, "sandbox")
    link: Link = "users" if proxy == "edge" else "database"
    try:
        spec = parse_fault_spec(target.fault_kinds(), "network-reset", {"proxy": proxy}, "120s", Loc("test"))
        guard.inject("reset", spec)
        assert _kinds(watched, proxy) == (["reset"], ["reset"])
        config = load_config(watched.config)
        with SlowLinks(config, SandboxTarget("sandbox", watched.sandbox), say=lambda _: None) as links:
            links.slow(link, 100, "downstream")
            assert _kinds(watched, proxy) == (["reset", "latency"], ["reset", "latency"])
            links.restore(link)
            assert _kinds(watched, proxy) == (["reset"], ["reset"])
            links.slow(link, 100, "downstream")
        assert _kinds(watched, proxy) == (["reset"], ["reset"]), "closing the drill reverts only its own latency"
        assert [(r.name, r.reverted_by) for r in links.faults.records] == [(fault_name(link), "harness")] * 2
    finally:
        with contextlib.suppress(OpsreadyError):
            guard.close()


DRILL = textwrap.dedent(
    """
    import sys, time
    from opsready.config import load_config
    from opsready.drills.links import SlowLinks
    from opsready.targets.registry import open_target

    config = load_config(None)
    links = SlowLinks(config, open_target(config, "sandbox"))
    links.slow("users", 200, "downstream")
    print("applied", links.faults.journal, flush=True)
    time.sleep(120)
    """
)


def test_a_capacity_latency_left_by_a_killed_drill_is_reverted_by_recover(watched: Env) -> None:
    """A drill killed with SIGKILL leaves its latency journaled open; `opsready recover` reverts it."""
    drill = subprocess.Popen(
        [sys.executable, "-c", DRILL], env=watched.env, stdout=subprocess.PIPE, text=True, cwd=watched.root
    )
    try:
        line = drill.stdout.readline() if drill.stdout else ""
        assert line.startswith("applied "), line
    finally:
        drill.send_signal(signal.SIGKILL)
        drill.communicate(timeout=30)
    assert _kinds(watched, "edge") == (["latency"], ["latency"])
    journal = watched.journals / line.split()[1].rsplit("/", 1)[-1]
    (fault,) = read_journal(journal).open_faults
    assert fault.name == "users-latency" and fault.spec is not None and fault.spec.kind == "network-latency"
    done = opsready(watched, "recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _kinds(watched, "edge") == ([], [])
    (fault,) = read_journal(journal).faults
    assert (fault.status, fault.reverted_by) == ("reverted", "recover")
