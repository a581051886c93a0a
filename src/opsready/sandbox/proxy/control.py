"""Drive a running fault proxy from the harness: write its state file, signal it, and wait for its status to confirm.

The proxy only ever reads the state file (on start and on SIGHUP) and only ever writes the status file beside it, so
the status is the proof that a change, including a revert, took effect.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opsready.errors import Loc, TargetError, ValidationError
from opsready.sandbox.proxy.toxics import (
    BandwidthToxic,
    Direction,
    DownToxic,
    LatencyToxic,
    ProxyState,
    ResetToxic,
    TimeoutToxic,
    Toxic,
    parse_toxic,
    read_int,
    read_typed,
    toxic_to_dict,
)
from opsready.yamlsrc import MapReader

__all__ = [
    "BandwidthToxic",
    "Direction",
    "DownToxic",
    "LatencyToxic",
    "ProxyState",
    "ProxyStatus",
    "ResetToxic",
    "TimeoutToxic",
    "Toxic",
    "apply",
    "clear",
    "parse_toxic",
    "read_state",
    "read_status",
    "status_path",
    "write_state",
]

_POLL_S = 0.01


@dataclass(frozen=True)
class ProxyStatus:
    """What a proxy reports about itself after (re)reading its state file."""

    generation: int
    pid: int
    listening: bool
    toxics: tuple[Toxic, ...] = field(default=())
    connections: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    error: str | None = None
    name: str = ""

    @classmethod
    def from_dict(cls, data: object, loc: Loc) -> ProxyStatus:
        """Build from a status file's JSON."""
        reader = MapReader(data, loc, "proxy status")
        status = cls(
            generation=read_int(reader, "generation"),
            pid=read_int(reader, "pid", minimum=1),
            listening=read_typed(reader, "listening", bool, False),
            toxics=tuple(parse_toxic(t, t_loc, f"toxics[{i}]") for i, (t, t_loc) in enumerate(reader.items("toxics"))),
            connections=read_int(reader, "connections", 0),
            bytes_up=read_int(reader, "bytes_up", 0),
            bytes_down=read_int(reader, "bytes_down", 0),
            error=_optional_str(reader.raw("error", None)),
            name=read_typed(reader, "name", str, ""),
        )
        reader.done()
        return status

    def to_dict(self) -> dict[str, object]:
        """The status as written in the status file."""
        return {
            "name": self.name,
            "generation": self.generation,
            "pid": self.pid,
            "listening": self.listening,
            "toxics": [toxic_to_dict(t) for t in self.toxics],
            "connections": self.connections,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "error": self.error,
        }


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def status_path(state_file: Path) -> Path:
    """The status file the proxy writes beside its state file: ``edge.json`` -> ``edge.status.json``."""
    stem = state_file.name.removesuffix(".json")
    return state_file.with_name(f"{stem}.status.json")


def write_json_atomic(path: Path, data: object, fsync: bool = True) -> None:
    """Write JSON to a temporary file in the same directory, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_state(path: Path, state: ProxyState) -> None:
    """Write a proxy's state file atomically and durably (temp file, fsync, rename)."""
    write_json_atomic(path, state.to_dict(), fsync=True)


def read_state(path: Path) -> ProxyState:
    """Read a proxy's state file; a missing file is the empty state (pass-through)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ProxyState()
    except OSError as exc:
        raise ValidationError(f"cannot read proxy state: {exc.strerror}", Loc(str(path))) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"invalid JSON in proxy state: {exc}", Loc(str(path))) from None
    return ProxyState.from_dict(data, Loc(str(path)))


def read_status(path: Path) -> ProxyStatus:
    """Read a proxy's status file (see :func:`status_path`); a missing or unreadable one is a TargetError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"proxy status not found: {path}", hint="is the proxy running?") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot read proxy status {path}: {exc}") from None
    try:
        return ProxyStatus.from_dict(data, Loc(str(path)))
    except ValidationError as exc:
        raise TargetError(f"malformed proxy status: {exc}") from None


def _try_status(path: Path) -> ProxyStatus | None:
    try:
        return read_status(path)
    except TargetError:
        return None


def apply(state_file: Path, pid: int, toxics: Sequence[Toxic], timeout: float = 5.0) -> ProxyStatus:
    """Make the proxy ``pid`` apply exactly ``toxics``; returns its status once it reports the new generation."""
    deadline = time.monotonic() + timeout
    status_file = status_path(state_file)
    wanted = tuple(toxics)
    # A proxy that has not yet written its first status may not handle SIGHUP yet (the default action kills it).
    current = _try_status(status_file)
    while current is None or current.pid != pid:
        _check_alive(pid)
        if time.monotonic() > deadline:
            raise TargetError(f"proxy pid {pid} has not reported its status in {status_file} within {timeout}s")
        time.sleep(_POLL_S)
        current = _try_status(status_file)
    try:
        previous = read_state(state_file).generation
    except ValidationError:
        previous = 0  # a broken state file is exactly what we are about to replace
    generation = max(previous, current.generation) + 1
    write_state(state_file, ProxyState(generation=generation, toxics=wanted))
    _signal(pid)
    status = current
    while time.monotonic() <= deadline:
        seen = _try_status(status_file)
        if seen is not None and seen.pid == pid:
            status = seen
            if seen.generation == generation and seen.toxics == wanted:
                return seen
            if seen.generation > generation:
                raise TargetError(f"proxy pid {pid} was given generation {seen.generation} by someone else meanwhile")
        _check_alive(pid)
        time.sleep(_POLL_S)
    detail = f": {status.error}" if status.error else ""
    raise TargetError(
        f"proxy pid {pid} did not apply generation {generation} within {timeout}s"
        f" (still at generation {status.generation}){detail}"
    )


def clear(state_file: Path, pid: int, timeout: float = 5.0) -> ProxyStatus:
    """Remove every toxic (pass-through) and return the status that confirms it."""
    return apply(state_file, pid, (), timeout)


def _signal(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise TargetError(f"proxy pid {pid} is not running") from None


def _check_alive(pid: int) -> None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise TargetError(f"proxy pid {pid} is not running") from None
    except PermissionError:
        pass  # alive, owned by someone else
