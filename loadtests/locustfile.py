"""Users of the orders service: they browse products, place orders and check on them.

Plain locust runs it as it is (loopback sandbox shown; point --host at your own service)::

    locust -f loadtests/locustfile.py --host http://127.0.0.1:18080 --headless -u 20 -r 5 -t 1m

The mix follows what shoppers do: half of the tasks browse the catalogue, three in ten place an order and two in ten
read back an order they placed. Each task sends exactly one request, so tasks per second are requests per second.

Options (locust's own command line or environment):

``--pacing N`` / ``OPSREADY_LOAD_PACING``
    tasks per second of each user (an open, paced load: ``users x N`` requests per second at most);
    0 means no wait at all (saturation). Without it, users think 0.5 to 2 s between tasks like people do.

Harness hooks, inactive unless the variable is set (``opsready`` sets them; plain locust does not need them):

``OPSREADY_LOAD_SAMPLES=DIR``
    every request is appended to ``DIR/samples-<pid>.csv`` as ``start,end,name,response_ms,failed`` (wall clock,
    seconds), and ``#stopping,<time>`` when users are told to stop: the harness splits results by phase of a drill
    from these, which locust's own statistics cannot do.
``OPSREADY_LOAD_STAGES='[[seconds, users, spawn_rate], ...]'``
    a stepped load shape (rising or falling load); the run ends after the last stage.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import time
from typing import Any

from locust import FastHttpUser, LoadTestShape, events, task
from locust.env import Environment

_SAMPLES_DIR = os.environ.get("OPSREADY_LOAD_SAMPLES", "")
_FLUSH_EVERY_S = 0.5
ITEMS = ("tea-earl-grey", "coffee-beans", "mug-blue", "kettle", "biscuits")


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--pacing",
        type=float,
        default=None,
        env_var="OPSREADY_LOAD_PACING",
        help="tasks per second of each user (0: no wait); default: 0.5-2 s of think time between tasks",
    )


class _SampleWriter:
    """Buffers request samples and appends them to this process's file (one file per forked worker)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.pid = 0
        self.lines: list[str] = []
        self.flushed = time.time()  # the same clock as the sample times it is compared with
        self.fh: Any = None

    def _open(self) -> None:
        # --processes forks after import: each process opens its own file on its first line
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.lines = []
            self.fh = open(os.path.join(self.directory, f"samples-{self.pid}.csv"), "a", encoding="utf-8")  # noqa: SIM115

    def mark(self, event: str) -> None:
        """A marker line (``#stopping,<time>``): when users were told to stop ends the judged window exactly."""
        self._open()
        self.lines.append(f"#{event},{time.time():.6f}\n")
        self.flush()

    def add(self, start: float, name: str, response_ms: float, failed: bool) -> None:
        self._open()
        end = time.time()
        self.lines.append(f"{start:.6f},{end:.6f},{name},{response_ms:.3f},{int(failed)}\n")
        if end - self.flushed >= _FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        if self.fh is not None and self.pid == os.getpid() and self.lines:
            self.fh.write("".join(self.lines))
            self.fh.flush()
            self.lines = []
        self.flushed = time.time()


if _SAMPLES_DIR:
    _writer = _SampleWriter(_SAMPLES_DIR)
    atexit.register(_writer.flush)

    @events.request.add_listener
    def _record(
        request_type: str,
        name: str,
        response_time: float,
        exception: BaseException | None = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        start = start_time if start_time is not None else time.time() - response_time / 1000
        _writer.add(start, f"{request_type} {name}", response_time, exception is not None)

    @events.quitting.add_listener
    def _flush_on_quit(environment: Environment, **_: Any) -> None:
        _writer.flush()

    @events.test_stopping.add_listener
    def _mark_stopping(environment: Environment, **_: Any) -> None:
        _writer.mark("stopping")

    @events.test_stop.add_listener
    def _flush_on_stop(environment: Environment, **_: Any) -> None:
        _writer.flush()


class Shopper(FastHttpUser):
    """A shopper: browses the catalogue, places orders, checks on orders placed."""

    def on_start(self) -> None:
        self.orders: list[int] = []
        pacing = self._pacing()
        if pacing:
            # users spawned together would otherwise all fire at once every 1/pacing s: spread them over the interval
            time.sleep(random.uniform(0, 1.0 / pacing))  # gevent-patched: only this user waits
        self._next = time.monotonic()

    def _pacing(self) -> float | None:
        options = self.environment.parsed_options
        return getattr(options, "pacing", None) if options is not None else None

    def wait_time(self) -> float:
        """Paced (``--pacing``) or human think time."""
        pacing = self._pacing()
        if pacing is None:
            return random.uniform(0.5, 2.0)
        if pacing <= 0:
            return 0.0
        # an open, paced load: task n starts at n/pacing s, whatever the earlier ones took. A user that fell behind
        # (a slow answer, a busy load generator) catches up, so the offered rate is kept while the service keeps up;
        # only a stall of over a second is written off rather than made up in a burst
        now = time.monotonic()
        self._next += 1.0 / pacing
        if now - self._next > 1.0:
            self._next = now
        return max(0.0, self._next - now)

    @task(5)
    def browse(self) -> None:
        """Look at the catalogue."""
        self.client.get("/products", name="/products")

    @task(3)
    def place_order(self) -> None:
        """Order something."""
        body = {"item": random.choice(ITEMS), "quantity": random.randint(1, 3)}
        with self.client.post("/orders", json=body, name="/orders", catch_response=True) as response:
            if response.status_code == 201:
                self.orders.append(int(response.json()["id"]))
                del self.orders[:-20]
            else:
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def check_order(self) -> None:
        """Read back one of my orders (browse when I have none yet)."""
        if not self.orders:
            self.browse()
            return
        self.client.get(f"/orders/{random.choice(self.orders)}", name="/orders/<id>")


_STAGES = os.environ.get("OPSREADY_LOAD_STAGES", "")

if _STAGES:

    class Stages(LoadTestShape):
        """A stepped load: each stage holds a user count for some seconds; the run ends after the last."""

        stages: tuple[tuple[float, int, float], ...] = tuple(
            (float(s), int(u), float(r)) for s, u, r in json.loads(_STAGES)
        )

        def tick(self) -> tuple[int, float] | None:
            elapsed = self.get_run_time()
            for seconds, users, rate in self.stages:
                if elapsed < seconds:
                    return users, rate
                elapsed -= seconds
            return None
