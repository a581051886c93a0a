"""Run locust as a subprocess in a session of its own, bounded in time and in requests, and read back what it saw.

gevent's monkey-patching breaks in-process use, so locust always runs as ``python -m locust --headless``. Its session
id is its pid: stopping sends SIGTERM to the master (which makes it write ``--json-file`` statistics and quit its
workers), waits, then SIGKILLs whatever is left in the session, so no locust process outlives the run. The run is
bounded three times: locust's own ``--run-time``, our deadline (a watchdog thread), and ``max_requests``. SIGINT and
SIGTERM of the harness stop every running load before the harness unwinds (see :mod:`opsready.capacity.signals`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from opsready.capacity import signals
from opsready.capacity.output import JSON_STEM, LocustEntry, SampleReader, read_locust_json
from opsready.capacity.profiles import LoadProfile
from opsready.capacity.results import Phase, PhaseStats, RequestSample, phase_stats
from opsready.capacity.signals import StopReason
from opsready.errors import EnvironmentProblem, TargetError
from opsready.processes import free_port, stop_session
from opsready.timeline import Timeline

GRACE = 15.0  # locust's start (imports, forking workers) and shutdown on top of the run time
STOP_TIMEOUT = 3
STOP_WAIT = 10.0
_POLL = 0.2


@dataclass(frozen=True)
class LoadResult:
    """A finished load run: every request, locust's own summary, and how the run ended."""

    profile: LoadProfile
    host: str
    started: float  # monotonic, when locust was started
    stopped: float
    samples: tuple[RequestSample, ...]
    locust: tuple[LocustEntry, ...]
    ended_by: StopReason
    exit_code: int | None
    workdir: Path
    users_stopped: float | None = None  # monotonic, when locust told its users to stop

    @property
    def window(self) -> Phase:
        """The judged part of the run: from the first request plus the warm-up until users were told to stop."""
        if not self.samples:
            return Phase("run", self.started, self.stopped)
        first = min(s.start for s in self.samples)
        # without locust's stop marker (a hard stop), the last request started marks the end
        last = self.users_stopped if self.users_stopped is not None else max(s.start for s in self.samples)
        start = min(first + self.profile.warmup, last)
        pacing = self.profile.pacing
        if pacing and not self.profile.stages and last - start >= 1 / pacing:
            # paced users each start one request per period: only whole periods count every user exactly once
            last = start + math.floor((last - start) * pacing) / pacing
        return Phase("run", start, last)

    def stats(self, phase: Phase | None = None) -> PhaseStats:
        """Statistics of a phase (default: the judged window)."""
        return phase_stats(self.samples, phase or self.window)

    def phases(self, phases: tuple[Phase, ...]) -> tuple[PhaseStats, ...]:
        """Statistics of each phase."""
        return tuple(phase_stats(self.samples, p) for p in phases)


def locust_command(profile: LoadProfile, host: str, locustfile: Path, workdir: Path, bind_port: int) -> list[str]:
    """The locust command line for a profile (loopback only, headless, statistics to ``workdir/stats.json``)."""
    run_time = math.ceil(profile.duration)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        host,
        "--users",
        str(profile.users),
        "--spawn-rate",
        f"{profile.spawn_rate:g}",
        "--run-time",
        f"{run_time}s",
        "--json-file",
        str(workdir / JSON_STEM),
        "--only-summary",
        "--exit-code-on-error",
        "0",
        "--stop-timeout",  # users finish the request in flight: every request started before the stop is counted
        str(STOP_TIMEOUT),
    ]
    if profile.pacing is not None:
        command += ["--pacing", f"{profile.pacing:g}"]
    if profile.workers > 1:
        # the master must not listen on every interface (locust's default) nor on a fixed port others may hold
        port = str(bind_port)
        command += ["--processes", str(profile.workers), "--master-bind-host", "127.0.0.1"]
        command += ["--master-bind-port", port, "--master-host", "127.0.0.1", "--master-port", port]
    return command


class LoadRun:
    """One locust run; use as a context manager or call :meth:`start` and then :meth:`wait` or :meth:`stop`."""

    def __init__(
        self,
        profile: LoadProfile,
        host: str,
        workdir: Path,
        locustfile: Path,
        *,
        timeline: Timeline | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if not locustfile.is_file():
            raise EnvironmentProblem(f"locustfile not found: {locustfile}")
        self.profile = profile
        self.host = host
        self.workdir = workdir
        self.locustfile = locustfile.resolve()
        self.timeline = timeline
        self.env = dict(env or {})  # for the locustfile, e.g. the service profile journeys.py plays
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.deadline = 0.0
        self._reader = SampleReader(workdir, 0.0)
        self._lock = threading.RLock()
        self._result: LoadResult | None = None
        self._ended_by: StopReason = "run-time"
        self._watchdog: threading.Thread | None = None
        self.stopping = False

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> LoadRun:
        """Start locust (returns at once; requests begin after locust's own start-up, about a second)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in (*self.workdir.glob("samples-*.csv"), self.workdir / f"{JSON_STEM}.json"):
            stale.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCUST_", "OPSREADY_LOAD_"))}
        env.update(self.env)
        env["OPSREADY_LOAD_SAMPLES"] = str(self.workdir)
        if self.profile.stages:
            stages = [[s.seconds, s.users, s.spawn_rate] for s in self.profile.stages]
            env["OPSREADY_LOAD_STAGES"] = json.dumps(stages)
        command = locust_command(self.profile, self.host, self.locustfile, self.workdir, free_port())
        (self.workdir / "command.txt").write_text(" ".join(command) + "\n")
        self._reader = SampleReader(self.workdir, time.monotonic() - time.time())
        with (self.workdir / "locust.log").open("wb") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=self.workdir,  # no locust.conf or pyproject.toml of the caller's directory changes the run
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started = time.monotonic()
        self.deadline = self.started + self.profile.duration + GRACE
        signals.register(self)
        if self.timeline is not None:
            self.timeline.mark("load_started", f"{self.profile.name}: {self.describe()}", at=self.started)
        self._watchdog = threading.Thread(target=self._watch, name=f"load-watchdog-{self.proc.pid}", daemon=True)
        self._watchdog.start()
        return self

    def describe(self) -> str:
        """'10 users, 2/s each, 8 s, 1 locust process'."""
        pace = "no wait" if self.profile.pacing == 0 else ("think time" if self.profile.pacing is None else "")
        pace = pace or f"{self.profile.pacing:g}/s each"
        workers = f"{self.profile.workers} locust process{'es' if self.profile.workers > 1 else ''}"
        return f"{self.profile.users} users, {pace}, {self.profile.duration:g} s, {workers}"

    @property
    def pid(self) -> int | None:
        """The locust master's pid (= its session id)."""
        return self.proc.pid if self.proc is not None else None

    def running(self) -> bool:
        """Whether the locust master still runs."""
        return self.proc is not None and self.proc.poll() is None

    def samples(self) -> list[RequestSample]:
        """Requests made so far (readable while the load runs; locust flushes every half second)."""
        with self._lock:
            return list(self._reader.read())

    def _watch(self) -> None:
        while self.running():
            if time.monotonic() > self.deadline:
                self.stop("timeout")
                return
            with self._lock:
                made = len(self._reader.read())  # no copy: a long run holds millions of samples
            if made >= self.profile.max_requests:
                self.stop("max_requests")
                return
            time.sleep(_POLL)

    def wait(self, timeout: float | None = None) -> LoadResult:
        """Wait for the run to end by itself (run time, stages); stop it past ``timeout`` or the deadline."""
        assert self.proc is not None, "the load was not started"
        limit = self.deadline if timeout is None else min(self.deadline, time.monotonic() + timeout)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(max(0.0, limit - time.monotonic()))
        return self.stop("timeout" if self.running() else None)

    def stop(self, reason: StopReason | None = "stop") -> LoadResult:
        """Stop locust (SIGTERM, then SIGKILL for anything left in its session) and collect the result."""
        with self._lock:
            if self._result is None:
                self.stopping = True
                self._result = self._finish(reason)
        signals.unregister(self)  # also from the main thread after the watchdog stopped it: restores SIGTERM
        return self._result

    def _finish(self, reason: StopReason | None) -> LoadResult:
        assert self.proc is not None, "the load was not started"
        if self.proc.poll() is None:
            self._ended_by = reason or "stop"
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_WAIT)
        try:
            self._sweep()
        finally:
            signals.unregister(self)
        result = self._collect(time.monotonic())
        if self.timeline is not None:
            self.timeline.mark("load_stopped", f"{self._ended_by}: {len(result.samples)} requests")
        return result

    def _sweep(self) -> None:
        assert self.proc is not None
        survivors = stop_session(self.proc.pid)  # locust is done (or stopped): whatever is left gets SIGKILL
        if survivors:
            raise TargetError(f"locust processes {survivors} survived SIGKILL")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1.0)

    def _collect(self, stopped: float) -> LoadResult:
        assert self.proc is not None
        samples = tuple(sorted(self._reader.read(), key=lambda s: s.start))
        try:
            locust = read_locust_json(self.workdir / f"{JSON_STEM}.json")
        except TargetError:
            if self._ended_by not in ("timeout", "interrupted") and not samples:
                raise TargetError(f"locust ended without results; see {self.workdir / 'locust.log'}") from None
            locust = ()
        code = self.proc.returncode
        if code not in (0, None, -signal.SIGTERM, -signal.SIGKILL) and not samples:
            tail = (self.workdir / "locust.log").read_text(errors="replace")[-1500:]
            raise TargetError(f"locust failed (exit code {code}):\n{tail}")
        return LoadResult(
            profile=self.profile,
            host=self.host,
            started=self.started,
            stopped=stopped,
            samples=samples,
            locust=locust,
            ended_by=self._ended_by,
            exit_code=code,
            workdir=self.workdir,
            users_stopped=min(self._reader.stops) if self._reader.stops else None,
        )

    def __enter__(self) -> LoadRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop("interrupted" if exc[0] is not None else "stop")
