"""Evidence for a diagnosis: the culprit it blames, and the bundle ``opsready diagnose --collect DIR`` writes.

The bundle holds recent logs of the affected components (and the platform's own), process states, open
connections, database activity, unexpected exits, load on the host and a metrics snapshot, plus the diagnosis
itself. Collecting only reads. Every text goes through the caller's ``redact`` before it is written, and each item
is gathered under a timeout, so a hanging component costs one item, never the bundle.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsready.probes.http import client
from opsready.targets.diagnostics import HostDiagnostics, HostLoad, diagnostics_of
from opsready.targets.protocol import Target
from opsready.troubleshooting.walk import Culprit, Walk, run_bounded

Redact = Callable[[str], str]
LOG_BYTES = 64 * 1024
ITEM_TIMEOUT = 5.0
MIN_HOG_CORES = 1.0  # a CPU culprit wants at least a whole core (ran plus waited) over the search's window


def find_culprit(target: Target, what: str) -> Culprit | None:
    """The process group outside the target that a diagnosis blames: busiest (cpu), largest (memory), or the one
    holding most connections to a component (``connections:<component>``)."""
    ops = diagnostics_of(target)
    kind, _, component = what.partition(":")
    if kind == "connections":
        holders = [h for h in ops.connection_holders(component or "postgres") if not h.own]
        if not holders:
            return None
        top = holders[0]
        return Culprit(top.pgid, top.command, f"{top.connections} connections to {component or 'postgres'}")
    return blame(ops.host_load(1.0 if kind == "cpu" else 0.0), kind)


def blame(load: HostLoad, kind: str) -> Culprit | None:
    """The group outside the target a CPU (``cpu``) or memory diagnosis blames in ``load``, or None.

    Never the host's init or the kernel's threads (process group 0 or 1: nobody's to stop). A CPU culprit wants at
    least :data:`MIN_HOG_CORES`: the search measures anew after the check, and when the load the check saw has gone
    the busiest group left is no hog (under a busy test run, the VM's idle init was once blamed at 0.1 cores)."""
    foreign = [g for g in load.foreign() if g.pgid > 1]
    if not foreign:
        return None
    if kind == "cpu":
        busiest = max(foreign, key=lambda g: g.cpu_demand)
        if busiest.cpu_demand < MIN_HOG_CORES:
            return None
        return Culprit(busiest.pgid, busiest.command, f"wants {busiest.cpu_demand:.1f} of {load.cores} cores")
    largest = max(foreign, key=lambda g: g.rss_bytes)
    return Culprit(largest.pgid, largest.command, f"{largest.rss_bytes // (1024 * 1024)} MB resident")


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def to_json_text(value: Any) -> str:
    """Dataclasses (nested) as indented JSON."""
    return json.dumps(_json(value), indent=2, default=str) + "\n"


def _logs_wanted(walk: Walk, available: tuple[str, ...]) -> tuple[str, ...]:
    """The platform's own log (listed first) and those the diagnosis names; all of them without a diagnosis."""
    evidence = walk.diagnosis.evidence if walk.diagnosis is not None else ("logs",)
    if "logs" in evidence:
        return available
    named = {e.partition(":")[2] for e in evidence if e.startswith("logs:")}
    return tuple(name for i, name in enumerate(available) if i == 0 or name in named)


def collect(target: Target, walk: Walk, directory: Path, redact: Redact, walk_json: str) -> tuple[Path, ...]:
    """Write the evidence bundle for ``walk`` into ``directory`` (created); returns the files written."""
    ops = diagnostics_of(target)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    problems: dict[str, str] = {}

    def write(name: str, text: str) -> None:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8")
        written.append(path)

    def gather(name: str, fn: Callable[[], str]) -> None:
        result = run_bounded(fn, ITEM_TIMEOUT, f"opsready-evidence-{name}")
        if not result.finished:
            problems[name] = f"no answer within {ITEM_TIMEOUT:g} s"
        elif result.error is not None:
            problems[name] = f"{type(result.error).__name__}: {result.error}"[:300]
        elif isinstance(result.value, str):
            write(name, result.value)

    write("diagnosis.json", walk_json)
    names = run_bounded(ops.log_names, ITEM_TIMEOUT)
    logs = names.value if names.finished and isinstance(names.value, tuple) else ()
    for log in _logs_wanted(walk, logs):
        gather(f"logs/{log}.log", lambda log=log: ops.log_tail(log, LOG_BYTES))  # type: ignore[misc]
    gather(
        "processes.json", lambda: to_json_text({"components": target.instances(), "processes": ops.process_states()})
    )
    gather("restarts.json", lambda: to_json_text(ops.recent_exits(3600.0)))
    gather("database.json", lambda: to_json_text(ops.database_activity(2.0)))
    gather("host.json", lambda: to_json_text(ops.host_load(0.5)))
    if isinstance(ops, HostDiagnostics):  # instances on hosts of their own: each one asked, each host read
        fleet = ops
        gather("instances.json", lambda: to_json_text(fleet.instance_health()))
        gather("hosts.json", lambda: to_json_text(fleet.host_resources()))

    def connections() -> str:
        held = {}
        for instance in target.instances():
            try:
                held[instance.name] = ops.connection_holders(instance.name)
            except Exception as exc:  # a component that listens on no port has no connections to show
                held[instance.name] = f"{type(exc).__name__}: {exc}"  # type: ignore[assignment]
        return to_json_text(held)

    gather("connections.json", connections)

    def metrics() -> str:
        with client(timeout=3.0) as http:
            response = http.get(f"{ops.direct_url()}/metrics")
        response.raise_for_status()
        return response.text

    gather("metrics.txt", metrics)
    manifest = {"files": [str(p.relative_to(directory)) for p in written], "not_collected": problems}
    write("manifest.json", to_json_text({**manifest, "redacted": "secrets replaced by [REDACTED]"}))
    return tuple(written)
