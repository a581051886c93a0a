"""The printable PDF of the exported page, made by headless Chromium with the network shut out.

Chromium is looked for as ``$OPSREADY_CHROMIUM``, then ``chromium``, ``chromium-browser``, ``google-chrome`` on the
PATH. It runs in a process group of its own that is killed when it is done or past its time limit, so no renderer or
GPU process outlives the export. It gets a proxy that does not exist and a host resolver that resolves nothing, so
even a page that asked for the network (this one does not: its Content-Security-Policy forbids it) would get nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from opsready.errors import EnvironmentProblem

NAMES = ("chromium", "chromium-browser", "google-chrome")
OFFLINE = (
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", *OFFLINE)


def find_chromium() -> str | None:
    """The Chromium binary to print with, or None when there is none."""
    chosen = os.environ.get("OPSREADY_CHROMIUM")
    if chosen is not None:
        return chosen if chosen and os.access(chosen, os.X_OK) else None
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def print_pdf(binary: str, page: Path, pdf: Path, time_limit: float = 120.0) -> None:
    """Print ``page`` to ``pdf`` (A4, no header or footer); an EnvironmentProblem when Chromium fails."""
    with tempfile.TemporaryDirectory(prefix="opsready-chromium-") as profile:
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            _, stderr = process.communicate(timeout=time_limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise EnvironmentProblem(f"chromium did not print {page.name} within {time_limit:.0f} s") from None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        tail = " ".join(stderr.strip().splitlines()[-3:])
        raise EnvironmentProblem(f"chromium could not print {page.name} (exit {process.returncode}): {tail}")
