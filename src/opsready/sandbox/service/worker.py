"""The background worker: fulfils pending orders once they are old enough.

No health check sees it: when it stops, only the age of the oldest pending order (``/orders/stats``) grows. It
survives database outages (logs, backs off up to :data:`MAX_BACKOFF` seconds, retries) and exits cleanly on SIGTERM.

Run it with ``python -m opsready.sandbox.service.worker [--interval 0.5] [--fulfil-after 1.0]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from opsready.errors import ConfigError
from opsready.sandbox.service.db import DatabaseError, close_sessions, parse_db_url, session
from opsready.sandbox.service.exporter import WorkerMetrics, serve
from opsready.sandbox.service.orders import fulfil_due

MAX_BACKOFF = 5.0
BATCH = 500


def log(message: str) -> None:
    """One line on stdout with a UTC timestamp, flushed at once (supervisord keeps the log)."""
    stamp = datetime.now(tz=UTC).isoformat(timespec="milliseconds")
    print(f"{stamp} worker[{os.getpid()}] {message}", flush=True)


def run(
    db_url: str,
    stop: threading.Event,
    *,
    interval: float = 0.5,
    fulfil_after: float = 1.0,
    say: Callable[[str], None] = log,
    metrics: WorkerMetrics | None = None,
) -> int:
    """Fulfil due orders every ``interval`` seconds until ``stop`` is set; return how many were fulfilled."""
    fulfilled = 0
    failures = 0
    say(f"started: fulfilling orders older than {fulfil_after:g} s every {interval:g} s")
    while not stop.is_set():
        try:
            now = time.time()
            with session(db_url, app_name="opsready-worker") as db:
                count = fulfil_due(db, older_than=now - fulfil_after, now=now, batch=BATCH)
        except DatabaseError as exc:
            if metrics is not None:
                metrics.batch(None)
            failures += 1
            delay = min(MAX_BACKOFF, interval * 2 ** min(failures, 10))
            what = "cannot reach the orders database" if exc.unavailable else "the orders database refused the batch"
            say(f"{what} (attempt {failures}, retrying in {delay:.1f} s): {exc.message}")
            stop.wait(delay)
            continue
        if metrics is not None:
            metrics.batch(count)
        if failures:
            say(f"database reachable again after {failures} failed attempt(s)")
            failures = 0
        if count:
            fulfilled += count
            say(f"fulfilled {count} order(s)")
        if count < BATCH:  # a full batch means more are due: go again at once
            stop.wait(interval)
    close_sessions()
    say(f"stopping: fulfilled {fulfilled} order(s) in total")
    return fulfilled


def main(argv: list[str] | None = None) -> int:
    """Command line: run the worker until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sandbox.service.worker", description=__doc__)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between batches (default 0.5)")
    parser.add_argument("--fulfil-after", type=float, default=1.0, help="age in seconds before fulfilment (1.0)")
    parser.add_argument("--metrics-port", type=int, default=0, help="serve /metrics on this loopback port")
    args = parser.parse_args(argv)
    db_url = os.environ.get("OPSREADY_DB_URL", "")
    if not db_url:
        print("worker: OPSREADY_DB_URL is not set", file=sys.stderr)
        return 2
    if args.interval <= 0 or args.fulfil_after < 0:
        print("worker: --interval must be positive and --fulfil-after not negative", file=sys.stderr)
        return 2
    try:
        parse_db_url(db_url)
    except ConfigError as exc:
        print(f"worker: {exc.render()}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        # Event.set takes a lock the interrupted main thread may hold (inside Event.wait): set it from elsewhere
        threading.Thread(target=stop.set, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    metrics = WorkerMetrics()
    serve(metrics.registry, args.metrics_port)
    run(db_url, stop, interval=args.interval, fulfil_after=args.fulfil_after, metrics=metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
