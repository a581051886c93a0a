"""Open a page in Debian's headless Chromium: the DOM after load, a screenshot, and what the console said.

Chromium runs in a process group of its own and that whole group is killed on a timeout, so no renderer or GPU
process outlives a test. Console messages reach stderr with ``--enable-logging=stderr`` as ``:CONSOLE`` lines.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass(frozen=True)
class Rendered:
    """What Chromium made of a page."""

    returncode: int
    dom: str
    console: tuple[str, ...]
    screenshot: Path
    stderr: str


def chromium() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def render(page: Path, screenshot: Path, profile: Path, size: tuple[int, int] = (1200, 2400)) -> Rendered:
    """Load ``page`` from disk, dump its DOM, save a screenshot; at most 90 s."""
    binary = chromium()
    assert binary is not None, "chromium is not installed"
    command = [
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={screenshot}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        dom, stderr = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    finally:
        # helpers Chromium forked (zygote, renderer) share its group: none may outlive the test (usually the
        # group is gone by now, as they exit with it)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    console = tuple(line for line in stderr.splitlines() if ":CONSOLE" in line)
    return Rendered(process.returncode, dom, console, screenshot, stderr)
