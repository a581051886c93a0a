"""Probes of the platform and its components for troubleshooting: does the platform answer, is one component
running and not frozen, did anything exit unexpectedly, and did the release change recently."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from opsready.observation import Observation
from opsready.targets.diagnostics import diagnostics_of
from opsready.targets.protocol import Target

COMPONENT_ANSWERS = ("missing", "stopped", "starting", "backoff", "exited", "fatal", "unknown", "frozen")
CHANGE_KINDS = ("deploy", "emergency")  # a rollback returns to a release known to work: not a suspect change


def platform(target: Target) -> Observation:
    """The platform (supervisor, cluster control plane) answers and knows the target's components."""
    try:
        instances = target.instances()
    except Exception as exc:  # whatever the platform raises, it did not answer: that is the finding
        return Observation("platform", False, "down", "", f"the platform does not answer: {type(exc).__name__}: {exc}")
    if not instances:
        return Observation("platform", False, "down", "", "the platform runs no component (is the target up?)")
    return Observation("platform", True, float(len(instances)), " components", ", ".join(i.name for i in instances))


def component(target: Target, name: str) -> Observation:
    """Component ``name`` runs and none of its processes is frozen; otherwise the answer says how it is."""
    found = next((i for i in target.instances() if i.name == name), None)
    if found is None:
        return Observation("component", False, "missing", "", f"no component '{name}'")
    if not found.running:
        state = found.state.lower()
        answer = state if state in COMPONENT_ANSWERS else "unknown"
        return Observation("component", False, answer, "", f"'{name}' is {found.state} ({found.detail})")
    frozen = [p for p in diagnostics_of(target).process_states() if p.component == name and p.frozen]
    if frozen:
        pids = ", ".join(str(p.pid) for p in frozen)
        return Observation("component", False, "frozen", "", f"'{name}' runs but process(es) {pids} are stopped (T)")
    return Observation("component", True, "running", "", f"'{name}' is RUNNING ({found.detail})")


def restarts(target: Target, window_s: float = 60.0) -> Observation:
    """No component exited unexpectedly in the last ``window_s`` seconds (a crash the platform restarted)."""
    events = diagnostics_of(target).recent_exits(window_s)
    if not events:
        return Observation("restarts", True, 0.0, " exits", f"no unexpected exit in the last {window_s:g} s")
    now = time.time()
    shown = "; ".join(f"{e.component} exited ({e.how}) {now - e.at:.0f} s ago" for e in events[-5:])
    names = ",".join(dict.fromkeys(e.component for e in events))
    return Observation("restarts", False, names, "", shown)


def recent_release(target: Target, window_s: float = 900.0) -> Observation:
    """The release did not change by a deployment in the last ``window_s`` seconds (a suspect for new trouble)."""
    history = target.history()
    if not history:
        return Observation("recent_release", True, "", "", "no release history")
    last = history[-1]
    try:
        at = datetime.fromisoformat(last.at.replace("Z", "+00:00"))
    except ValueError:
        return Observation("recent_release", True, last.version, "", f"unreadable time {last.at!r} of the last change")
    age = (datetime.now(tz=UTC) - at).total_seconds()
    detail = f"{last.version} by {last.kind} {age:.0f} s ago (previous {last.previous or 'none'})"
    ok = last.kind not in CHANGE_KINDS or last.previous is None or age > window_s  # None: the initial install
    return Observation("recent_release", ok, last.version, "", detail)
