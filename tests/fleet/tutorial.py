"""docs/your-service.md as steps a test follows: the commands it runs and the files it writes, in document order.

The document marks what is followed with an HTML comment before a fenced block:

- ``<!-- tutorial: run -->`` before a ``console`` block: each ``$ `` line is a command (other lines are output);
- ``<!-- tutorial: write PATH -->`` before any block: the block is the whole content of PATH, relative to the
  directory the commands have reached;
- ``<!-- tutorial: installed -->`` before the install block: not run (no network); the installed package stands in.

``<!-- sandbox tutorial: ... -->`` marks the short "try it on the sandbox first" path the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MARKER = re.compile(r"^<!-- (tutorial|sandbox tutorial): (run|write|installed)(?: (\S+))? -->$")
FENCE = re.compile(r"^(`{3,})(\S*)$")
REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "docs" / "your-service.md"
BIN = Path(sys.executable).parent  # the virtualenv with opsready installed


@dataclass(frozen=True)
class Step:
    """One followed block: its kind, the file it writes (for ``write``), its text and its line in the document."""

    kind: Literal["run", "write", "installed"]
    path: str
    text: str
    line: int

    @property
    def commands(self) -> tuple[str, ...]:
        """The ``$`` lines of a console block."""
        return tuple(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def steps(document: Path, track: str = "tutorial") -> tuple[Step, ...]:
    """Every block marked for ``track`` (``tutorial`` or ``sandbox tutorial``), in order; ValueError naming the line
    when a marker has no block after it."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found: list[Step] = []
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index].strip())
        index += 1
        if not marker or marker.group(1) != track:
            continue
        kind, path = marker.group(2), marker.group(3) or ""
        opening = FENCE.match(lines[index]) if index < len(lines) else None
        if opening is None:
            raise ValueError(f"{document}:{index}: a tutorial marker must be followed by a fenced block")
        if (kind == "write") != bool(path):
            raise ValueError(f"{document}:{index}: only 'write' names a path")
        start = index + 1
        end = start
        while end < len(lines) and lines[end] != opening.group(1):
            end += 1
        if end == len(lines):
            raise ValueError(f"{document}:{index + 1}: the fenced block is not closed")
        text = "\n".join(lines[start:end]) + "\n"
        found.append(Step(kind, path, text, start))  # type: ignore[arg-type]  # the regex allows only the three
        index = end + 1
    return tuple(found)


def substitute(text: str, values: dict[str, str]) -> str:
    """The document's example values replaced by the fleet's in one pass, longest first (a value inside another is
    not replaced on its own, and a replacement is never replaced again)."""
    if not values:
        return text
    pattern = re.compile("|".join(re.escape(old) for old in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda match: values[match.group(0)], text)


def environment(tmp_path: Path) -> dict[str, str]:
    """The reader's shell: the installed package first on PATH, this checkout's source first on PYTHONPATH, a state
    directory of its own (sandboxes on free ports), no configuration or pytest run named from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSREADY_", "PYTEST_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["OPSREADY_STATE_DIR"] = str(tmp_path / "state")
    env["OPSREADY_PORTS"] = "auto"
    env["COLUMNS"] = "200"  # the terminal's width: what the document shows on one line stays on one line
    return env


def read_report(suite: Path) -> dict[str, Any]:
    """The suite's last readiness.json."""
    data: dict[str, Any] = json.loads((suite / "reports" / "readiness.json").read_text(encoding="utf-8"))
    return data


def _failures(suite: Path) -> str:
    """The failed scenarios' messages of the last report, if any: what to look at first."""
    try:
        data = read_report(suite)
    except (OSError, ValueError):
        return ""
    failed = [f"{s['name']}: {s['message']}" for s in data["scenarios"] if s["outcome"] == "failed"]
    return "".join(f"\n  {line[:1500]}" for line in failed)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _shown(step: Step, values: dict[str, str]) -> list[str]:
    """The output lines the document shows for a console block (``...`` elides)."""
    return [
        _flat(substitute(line, values))
        for line in step.text.splitlines()
        if line.strip() and not line.startswith("$ ") and line.strip() != "..."
    ]


Check = Callable[[str, Path, float], None]


def follow(
    followed: tuple[Step, ...], home: Path, env: dict[str, str], values: dict[str, str], check: Check
) -> tuple[Path, list[tuple[str, float]]]:
    """Write the files and run the commands, from ``home``; AssertionError naming the document's line when a command
    fails or does not print what the document shows. ``check(command, cwd, seconds so far)`` runs after each command.
    Returns the directory the commands ended in, and each command with its wall time."""
    cwd = home
    timings: list[tuple[str, float]] = []
    for step in followed:
        where = f"docs/your-service.md:{step.line}"
        if step.kind == "installed":
            assert "pip install opsready" in step.commands, f"{where}: the install block must install opsready"
            assert shutil.which("opsready", path=env["PATH"]) == str(BIN / "opsready"), "opsready is not installed"
            continue
        if step.kind == "write":
            path = cwd / step.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(substitute(step.text, values), encoding="utf-8")
            continue
        output = ""
        for written in step.commands:
            command = substitute(written, values)
            if command.startswith("cd "):
                cwd = (cwd / command[3:].strip()).resolve()
                continue
            started = time.monotonic()
            done = subprocess.run(
                ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
            )
            timings.append((command, time.monotonic() - started))
            output += done.stdout + done.stderr
            assert done.returncode == 0, (
                f"{where}: `{command}` exited {done.returncode}{_failures(cwd)}\n{done.stdout[-4000:]}\n"
                f"{done.stderr[-4000:]}"
            )
            assert "Traceback" not in done.stderr, f"{where}: `{command}`\n{done.stderr[-6000:]}"
            check(command, cwd, sum(seconds for _, seconds in timings))
        missing = [line for line in _shown(step, values) if line not in _flat(output)]
        assert not missing, f"{where}: the document shows output the commands no longer print: {missing}\n{output}"
    return cwd, timings
