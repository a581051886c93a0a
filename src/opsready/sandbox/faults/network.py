"""Network faults through the sandbox's fault proxies: one toxic added to the edge or db proxy, and removed again.

The proxy keeps its toxics in a state file it re-reads on SIGHUP and at start, so a revert always rewrites the
state file (even when the proxy is not running: a restarted proxy must not bring the fault back) and, when it runs,
waits for its status to confirm. Changes to one proxy's state are serialised with a lock file, so a fault added by
one process and another reverted by the dead-man watchdog never lose each other's update.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

from opsready.errors import Loc
from opsready.observation import Observation
from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.proxy.control import (
    BandwidthToxic,
    DownToxic,
    LatencyToxic,
    ProxyState,
    ResetToxic,
    TimeoutToxic,
    Toxic,
    apply,
    parse_toxic,
    read_state,
    read_status,
    status_path,
    write_state,
)
from opsready.sandbox.proxy.toxics import toxic_to_dict
from opsready.targets.faults import Facts, FaultSpec

PROGRAMS = {"edge": "edge", "db": "db_proxy"}
APPLY_TIMEOUT = 5.0


def toxic_of(spec: FaultSpec) -> Toxic:
    """The proxy toxic a network fault spec stands for."""
    kind = spec.kind.removeprefix("network-")
    toxicity = spec.number("toxicity") if kind != "down" else 1.0
    if kind == "latency":
        return LatencyToxic(
            latency_ms=round(spec.number("latency") * 1000),
            jitter_ms=round(spec.number("jitter") * 1000),
            direction=spec.text("direction"),  # type: ignore[arg-type]  # validated against the same choices
            toxicity=toxicity,
        )
    if kind == "bandwidth":
        return BandwidthToxic(
            rate_kbps=int(spec.number("rate_kbps")),
            direction=spec.text("direction"),  # type: ignore[arg-type]
            toxicity=toxicity,
        )
    if kind == "reset":
        return ResetToxic(toxicity=toxicity)
    if kind == "timeout":
        return TimeoutToxic(toxicity=toxicity)
    return DownToxic()


def _without(toxics: tuple[Toxic, ...], toxic: Toxic) -> tuple[Toxic, ...]:
    if toxic not in toxics:
        return toxics
    i = toxics.index(toxic)
    return toxics[:i] + toxics[i + 1 :]


class ProxyFault(SandboxFault):
    """Add one toxic to a proxy; the revert removes exactly that toxic."""

    @property
    def proxy(self) -> str:
        """edge or db."""
        return self.spec.text("proxy")

    @property
    def state_file(self) -> Path:
        """The proxy's state file."""
        return self.sandbox.layout.proxies / f"{self.proxy}.json"

    @property
    def toxic(self) -> Toxic:
        """The toxic of this fault (from the journaled facts when there are some)."""
        recorded = self.facts.get("toxic")
        if recorded:
            return parse_toxic(json.loads(recorded), Loc(f"fault {self.fault_id}"))
        return toxic_of(self.spec)

    def describe(self) -> str:
        """What would happen."""
        data = toxic_to_dict(self.toxic)
        fields = ", ".join(f"{k}={v}" for k, v in data.items() if k != "kind")
        return (
            f"add a {data['kind']} toxic ({fields}) to the {self.proxy} proxy of the {self.where}; "
            "the revert removes it and waits for the proxy to confirm"
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.state_file.with_name(f".{self.proxy}.lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with lock.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _pid(self) -> int | None:
        if not self.up():
            return None
        info = self.program(PROGRAMS[self.proxy])
        return int(info["pid"]) if info["statename"] == "RUNNING" and info["pid"] else None

    def prepare(self) -> Facts:
        """The proxy must run; remember the exact toxic."""
        self.running_pid(PROGRAMS[self.proxy])
        return (("toxic", json.dumps(toxic_to_dict(toxic_of(self.spec)), sort_keys=True)),)

    def inject(self, deadline: float) -> None:
        """Add the toxic and wait until the proxy applies it."""
        with self._locked():
            state = read_state(self.state_file)
            pid = self.running_pid(PROGRAMS[self.proxy])
            apply(self.state_file, pid, (*state.toxics, self.toxic), APPLY_TIMEOUT)

    def revert(self, timeout: float) -> None:
        """Remove the toxic from the state file and, when the proxy runs, wait until it confirms."""
        with self._locked():
            state = read_state(self.state_file)
            remaining = _without(state.toxics, self.toxic)
            pid = self._pid()
            if pid is not None:
                status = read_status(status_path(self.state_file))
                if remaining != state.toxics or status.toxics != remaining or status.generation != state.generation:
                    apply(self.state_file, pid, remaining, min(timeout, APPLY_TIMEOUT))
            elif remaining != state.toxics:
                write_state(self.state_file, ProxyState(generation=state.generation + 1, toxics=remaining))

    def verify_reverted(self) -> Observation:
        """The toxic is neither wanted (state file) nor applied (the running proxy's status)."""
        name = f"{self.proxy} proxy without {self.toxic.kind}"
        state = read_state(self.state_file)
        if self.toxic in state.toxics:
            return Observation(name, False, None, "", f"still in {self.state_file.name}")
        if self._pid() is None:
            return Observation(name, True, None, "", "not in the state file; the proxy is not running")
        status = read_status(status_path(self.state_file))
        listening = status.listening or any(isinstance(t, DownToxic) for t in status.toxics)
        ok = self.toxic not in status.toxics and status.generation == state.generation and listening
        detail = f"generation {status.generation}, toxics: {len(status.toxics)}, listening: {status.listening}"
        return Observation(name, ok, None, "", detail)
