"""Users of any service, as its service profile describes them: each plays the profile's journeys by weight.

The profile is named by ``--service-profile PATH`` or ``OPSREADY_PROFILE`` (docs/profile.md)::

    OPSREADY_PROFILE=profiles/shop.yaml locust -f loadtests/journeys.py --host https://staging.example.com \\
        --headless -u 20 -r 5 -t 1m

``locustfile: profile`` in loadtests/capacity.yaml plans capacity from the target's profile with this file instead of
the orders shopper (opsready sets ``OPSREADY_PROFILE`` and ``OPSREADY_TARGET_KIND`` for the locust subprocess).
Each task sends exactly one request (the next step of the user's current journey), so tasks per
second are requests per second, as with the shopper; a journey that fails (an unexpected answer) is abandoned and the
user starts another. Statistics name each request ``METHOD endpoint`` with the step's endpoint name
(``/api/carts/<cart>``), so thresholds are written against those. Writing journeys that leave data behind are held
back unless ``OPSREADY_TARGET_KIND=disposable`` (the default is to treat the target as someone's real system).
``--pacing``, the harness's sample files and load stages work as in locustfile.py, whose hooks this file reuses.
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path
from typing import Any

import gevent
import locustfile as shopper  # registers the harness hooks (samples, --pacing); the shopper itself is not used
from locust import FastHttpUser, events, task

from opsready.profile import Journey, Profile, Step, load_profile
from opsready.profile.model import COUNTER, PLACEHOLDER
from opsready.profile.run import check_answer, fill

# importing opsready takes a moment; gevent's loop caches its clock, and locust's --run-time timer, set right after
# this file is loaded, would count from the stale time and fire at once: bring the clock up to date
gevent.get_hub().loop.update_now()

_PROFILE: list[Profile] = []
_runs = itertools.count(1)  # {n}: unique within this process (the pid makes it unique across locust's processes)

if hasattr(shopper, "Stages"):
    Stages = shopper.Stages  # a stepped load shape when the harness asks for one


@events.init_command_line_parser.add_listener
def _profile_option(parser: Any) -> None:
    parser.add_argument("--service-profile", default="", env_var="OPSREADY_PROFILE", help="the service profile (YAML)")


def _profile(options: Any) -> Profile:
    if not _PROFILE:
        path = getattr(options, "service_profile", "") or os.environ.get("OPSREADY_PROFILE", "")
        if not path:
            raise SystemExit("journeys.py needs the service profile: --service-profile PATH or OPSREADY_PROFILE")
        _PROFILE.append(load_profile(Path(path)))
    return _PROFILE[0]


class JourneyUser(FastHttpUser):
    """A user of the service: one journey at a time, one step per task (paced like the shopper)."""

    _pacing = shopper.Shopper._pacing
    wait_time = shopper.Shopper.wait_time

    def on_start(self) -> None:
        profile = _profile(self.environment.parsed_options)
        kind = os.environ.get("OPSREADY_TARGET_KIND", "real")
        journeys = profile.traffic(kind)
        if not journeys:
            raise SystemExit(f"{profile.where()} has no journey to play on a {kind} target")
        self.plan: list[Journey] = [j for j in journeys for _ in range(max(1, j.weight))]
        self.steps: list[Step] = []
        self.cleanup: list[Step] = []
        self.values: dict[str, object] = {}
        shopper.Shopper.on_start(self)  # the shopper's pacing set-up

    def _next_step(self) -> Step:
        if not self.steps and not self.cleanup:
            journey = random.choice(self.plan)
            self.values = {COUNTER: os.getpid() * 1_000_000 + next(_runs)}
            self.steps, self.cleanup = list(journey.steps), list(journey.cleanup)
        return self.steps.pop(0) if self.steps else self.cleanup.pop(0)

    @task
    def step(self) -> None:
        """Send the next step of the current journey (or its cleanup) and check its answer."""
        step = self._next_step()
        kwargs: dict[str, Any] = {"name": step.endpoint, "catch_response": True}
        if step.body is not None:
            kwargs["json"] = fill(step.body, self.values)
        with self.client.request(step.method, str(fill(step.path, self.values)), **kwargs) as response:
            problem, captured = check_answer(step, response, self.values)
            if not problem:
                self.values.update(captured)
                return
            response.failure(problem)
            self.steps = []  # the journey is abandoned; only the cleanup of what it captured still makes sense
            self.cleanup = [
                s for s in self.cleanup if set(PLACEHOLDER.findall(f"{s.path} {s.body}")) <= self.values.keys()
            ]
