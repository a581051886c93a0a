"""gunicorn settings for the sandbox api (``--config python:opsready.sandbox.service.gunicorn_conf``).

No preload: the master never imports the app, so after the ``current`` link is switched, SIGHUP makes gunicorn fork
workers that import ``wsgi`` afresh from the link (``--chdir`` puts the link path, not its target, on ``sys.path``)
while the old workers finish their requests. Prometheus multiprocess files are wiped when gunicorn starts and dead
workers are marked, so ``/metrics`` adds up live workers and keeps the counts of those that exited.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Third-party libraries only (never opsready's app, never the release): forked workers inherit them and serve about
# 0.15 s after SIGHUP instead of 0.7 s, while each still reads the release ``current`` points at when it starts.
import flask  # noqa: F401
import prometheus_client  # noqa: F401
import psycopg  # noqa: F401
import yaml  # noqa: F401

preload_app = False
timeout = 30  # a worker stuck longer than this (a hung database call) is killed and replaced
graceful_timeout = 10
control_socket_disable = True  # gunicorn >= 25 would otherwise share one socket in $HOME among all instances


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server: Any) -> None:
    """Wipe the previous run's metric files: samples of dead processes from another run must not be added up."""
    folder = _multiproc_dir()
    if folder is not None and folder.is_dir():
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker in prometheus_client's multiprocess directory (drops its live gauges)."""
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
