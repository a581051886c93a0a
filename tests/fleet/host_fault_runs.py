"""``opsready experiment run`` against the fleet in a subprocess, and its fault journal as it is written: for the
tests that interrupt or kill the harness (and its watchdogs) with host faults applied, and for the benchmark."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .fleet import Fleet
from .host_faults import faults_yaml, opsready_cli

CONTROL = {"name": "opsready", "provider": {"type": "python", "module": "opsready.chaos.control"}}


@dataclass(frozen=True)
class Setup:
    """A directory with the fleet's configuration and a state directory of its own."""

    root: Path
    config: Path
    state: Path

    @property
    def journals(self) -> Path:
        """Where the fleet target's fault journals go."""
        return self.state / "hosts" / "fleet" / "faults"

    @property
    def env(self) -> dict[str, str]:
        """The environment of opsready commands run against the fleet."""
        return dict(os.environ, OPSREADY_STATE_DIR=str(self.state))


def setup(fleet: Fleet, root: Path) -> Setup:
    """Write the fleet's configuration (faults allowed) under ``root``."""
    config = root / "opsready.yaml"
    config.write_text(faults_yaml(fleet), encoding="utf-8")
    return Setup(root, config, root / "state")


def experiment(path: Path, faults: list[dict[str, Any]], hold: float) -> Path:
    """An experiment that injects ``faults`` (inject arguments) and holds them ``hold`` seconds, then reverts."""
    method: list[dict[str, Any]] = [
        {
            "type": "action",
            "name": f"inject-{fault['name']}",
            "provider": {"type": "python", "module": "opsready.chaos.actions", "func": "inject", "arguments": fault},
        }
        for fault in faults
    ]
    method[-1]["pauses"] = {"after": hold}
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


def opsready(env: Setup, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run an opsready command against the fleet."""
    argv = opsready_cli(*args, "--config", str(env.config), "--target", "fleet")
    return subprocess.run(argv, env=env.env, capture_output=True, text=True, timeout=timeout, cwd=env.root, check=False)


class Harness:
    """``opsready experiment run`` in a subprocess."""

    def __init__(self, env: Setup, path: Path) -> None:
        self.env = env
        self.before = set(env.journals.glob("*.jsonl")) if env.journals.is_dir() else set()
        argv = opsready_cli(
            "experiment", "run", str(path), "--config", str(env.config), "--target", "fleet", "--allow-destructive"
        )
        self.proc = subprocess.Popen(
            argv, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=env.root
        )
        self.output = ""

    def journal(self) -> Path | None:
        """This run's fault journal, once it exists."""
        if not self.env.journals.is_dir():
            return None
        new = [p for p in self.env.journals.glob("*.jsonl") if p not in self.before and p.name != "index.jsonl"]
        return new[0] if new else None

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The journal's complete records so far (of one kind)."""
        path = self.journal()
        found = []
        for line in path.read_text(encoding="utf-8").splitlines() if path else ():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if kind is None or record.get("record") == kind:
                found.append(record)
        return found

    def wait_for(self, record: str, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The records of a kind once there are ``count`` of them; AssertionError if the run ends or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.records(record)
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no {count} '{record}' record(s): {self.finish()} {self.output} {self.records()}")

    def watchdogs(self) -> list[int]:
        """The pids of this run's live watchdogs (as journaled, checked by their command line)."""
        live = []
        for record in self.records("watchdog"):
            pid = int(record["pid"])
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if b"opsready.chaos.watchdog" in argv and state != "Z":
                live.append(pid)
        return live

    def kill(self, watchdogs: bool) -> list[int]:
        """SIGKILL the harness (and its watchdogs, by pid); returns the watchdogs' pids."""
        pids = self.watchdogs()
        self.proc.send_signal(signal.SIGKILL)
        if watchdogs:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
        self.finish()
        return pids

    def finish(self, timeout: float = 90.0) -> int:
        """Wait for the process; its exit code (its output kept for messages)."""
        self.output, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode
