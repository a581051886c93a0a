"""Support for the chaos integration tests: a real sandbox, the harness as a subprocess, an independent health check.

The health check deliberately does not use the product's fault code (no fault objects, no journal, no residue
sweep): it reads supervisord, /proc, the proxies' status files and PostgreSQL directly, and places a real order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

from opsready.sandbox import database
from opsready.sandbox.manager import Sandbox, SandboxOptions
from opsready.sandbox.supervisor import recorded_session

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CONTROL = {"name": "opsready", "provider": {"type": "python", "module": "opsready.chaos.control"}}


@dataclass
class Env:
    """The module's sandbox, its configuration file and the environment harness subprocesses run with."""

    sandbox: Sandbox
    config: Path
    root: Path
    env: dict[str, str]

    @property
    def journals(self) -> Path:
        """Where fault journals of this sandbox go."""
        return self.sandbox.layout.state / "faults"


def start_env(root: Path) -> Env:
    """Start a PostgreSQL-backed sandbox on free ports under ``root``, with an opsready.yaml pointing at it."""
    state = root / "state"
    config = root / "opsready.yaml"
    config.write_text(
        f"version: 1\nprofile: {REPO / 'profiles' / 'orders.yaml'}\ntargets:\n  sandbox:\n    platform: sandbox\n"
        f"    state_dir: {state}\n    ports: auto\nsafety:\n  destructive_targets: [sandbox]\n"
        f"reports_dir: {root / 'reports'}\n",
        encoding="utf-8",
    )
    env = dict(os.environ, OPSREADY_STATE_DIR=str(state), OPSREADY_PORTS="auto", OPSREADY_CONFIG=str(config))
    sbx = Sandbox(SandboxOptions(state_dir=state, ports="auto"))
    try:
        sbx.up()
    except BaseException:
        sbx.down(purge=True)
        raise
    return Env(sbx, config, root, env)


def stop_env(env: Env, grace: float = 5.0) -> list[int]:
    """Stop the sandbox and any watchdog of its journals; returns the watchdog pids still running ``grace`` s after
    the last test (a watchdog exits within a poll, 0.5 s, of its fault being settled: a test that settled it just
    before, with `opsready recover`, must not see it as left behind; make test once caught one mid-poll on a busy
    machine)."""
    deadline = time.monotonic() + grace
    while (leftovers := watchdogs(env.journals)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in leftovers:  # only our own watchdogs, found by the journal directory in their command line
        os.kill(pid, signal.SIGKILL)
    env.sandbox.down(purge=True)
    return leftovers


def cmdlines() -> Iterator[tuple[int, list[str], str]]:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        yield int(entry), argv, state


def watchdogs(journals: Path) -> list[int]:
    """Live watchdog processes of this sandbox's journals."""
    return [
        pid
        for pid, argv, state in cmdlines()
        if state != "Z" and "opsready.chaos.watchdog" in argv and any(a.startswith(str(journals)) for a in argv)
    ]


def watchdogs_after(journals: Path, seconds: float = 5.0) -> list[int]:
    """The watchdogs of these journals still alive after ``seconds`` (bounded): each one that sees its fault settled in
    the journal exits by itself, a moment after the revert was journaled."""
    deadline = time.monotonic() + seconds
    while (alive := watchdogs(journals)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def experiment(
    path: Path,
    faults: list[dict[str, Any]],
    hold: float = 1.0,
    revert: bool = True,
    then: list[dict[str, Any]] | None = None,
) -> Path:
    """Write an experiment that injects ``faults`` (inject arguments), holds them, runs ``then``, and reverts them."""
    method: list[dict[str, Any]] = []
    for fault in faults:
        method.append(
            {
                "type": "action",
                "name": f"inject-{fault['name']}",
                "provider": {
                    "type": "python",
                    "module": "opsready.chaos.actions",
                    "func": "inject",
                    "arguments": fault,
                },
            }
        )
    method[-1]["pauses"] = {"after": hold}
    method.extend(then or [])
    if revert:
        method.append(
            {
                "type": "action",
                "name": "revert",
                "provider": {"type": "python", "module": "opsready.chaos.actions", "func": "revert_all"},
            }
        )
    data = {"title": path.stem, "controls": [CONTROL], "method": method}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class Harness:
    """``opsready experiment run`` in a subprocess, and its fault journal as it is being written."""

    def __init__(self, env: Env, path: Path) -> None:
        self.env = env
        self.before = set(env.journals.glob("*.jsonl")) if env.journals.is_dir() else set()
        cmd = [str(BIN / "opsready"), "experiment", "run", str(path), "--config", str(env.config)]
        self.proc = subprocess.Popen(
            cmd, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=env.root
        )
        self.output = ""

    def journal(self) -> Path | None:
        """This run's fault journal, once it exists."""
        if not self.env.journals.is_dir():
            return None
        new = [p for p in self.env.journals.glob("*.jsonl") if p not in self.before and p.name != "index.jsonl"]
        return new[0] if new else None

    def records(self) -> list[dict[str, Any]]:
        """The journal's records so far (complete lines only)."""
        path = self.journal()
        if path is None:
            return []
        found = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def wait_for(self, record: str, count: int = 1, timeout: float = 60.0) -> bool:
        """Wait until ``count`` records of a kind are journaled; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(r.get("record") == record for r in self.records()) >= count:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)
        raise AssertionError(f"no {count} '{record}' record(s) within {timeout} s: {self.records()}")

    def finish(self, timeout: float = 90.0) -> int:
        """Wait for the process; returns its exit code (output kept for messages)."""
        self.output, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode


def opsready(env: Env, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run an opsready command against the module's sandbox."""
    return subprocess.run(
        [str(BIN / "opsready"), *args, "--config", str(env.config)],
        env=env.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.root,
        check=False,
    )


def health_problems(env: Env, release: str = "1.0.0") -> list[str]:
    """Everything wrong with the sandbox, checked independently of the fault code (empty when fully healthy)."""
    sbx = env.sandbox
    problems: list[str] = []
    programs = {p.name: p.state for p in sbx.status().programs}
    problems += [f"{name} is {state}" for name, state in programs.items() if state != "RUNNING"]
    session = recorded_session(sbx.layout)
    for pid, argv, state in cmdlines():
        if state == "T":
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[3]) == session:
                    problems.append(f"pid {pid} is stopped")
        if state != "Z" and "opsready.sandbox.faults.holder" in argv and str(sbx.layout.state) in argv:
            problems.append(f"holder pid {pid} is running: {' '.join(argv[3:6])}")
    for proxy in ("edge", "db"):
        status = json.loads((sbx.layout.proxies / f"{proxy}.status.json").read_text())
        wanted = (
            json.loads((sbx.layout.proxies / f"{proxy}.json").read_text()).get("toxics", [])
            if (sbx.layout.proxies / f"{proxy}.json").exists()
            else []
        )
        if status["toxics"] or wanted or not status["listening"]:
            problems.append(f"{proxy} proxy: toxics {status['toxics'] or wanted}, listening {status['listening']}")
    try:
        url = database.admin_url(sbx.layout, sbx.ports(), database.PG_DB)
        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'opsready-fault-%'"
            ).fetchone()
            if row and row[0]:
                problems.append(f"{row[0]} fault session(s) in PostgreSQL")
            locks = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass AND mode LIKE '%Exclusive%' "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
            if locks and locks[0]:
                problems.append(f"{locks[0]} exclusive lock(s) on orders")
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL: {exc}")
    try:
        with httpx.Client(base_url=sbx.base_url, timeout=5) as client:
            if client.get("/readyz").status_code != 200:
                problems.append("not ready")
            served = client.get("/version").json().get("version")
            if served != release:
                problems.append(f"serving {served}, not {release}")
            if client.post("/orders", json={"item": "health", "quantity": 1}).status_code != 201:
                problems.append("an order could not be placed")
    except httpx.HTTPError as exc:
        problems.append(f"edge: {type(exc).__name__}")
    return problems


def wait_healthy(env: Env, timeout: float = 30.0) -> list[str]:
    """Health problems that remain after ``timeout`` seconds (empty when the sandbox became healthy)."""
    deadline = time.monotonic() + timeout
    problems = health_problems(env)
    while problems and time.monotonic() < deadline:
        time.sleep(0.25)
        problems = health_problems(env)
    return problems
