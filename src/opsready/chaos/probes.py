"""chaostoolkit probes of the opsready extension: the shared probe library, detection, and recovery.

Every probe of :data:`opsready.probes.registry.PROBES` is exposed under its own name (``readiness``, ``error_rate``,
``backlog``, ...) with the registry's parameters, and returns whether it passed (use ``tolerance: true``); the
probes are the very ones checklists and rollback triggers use. Two more drive the timeline of a drill:

- :func:`detect`: poll a probe until it shows the fault (it fails, or its value moved ``rises_by``/``falls_by``
  from the baseline measured just before the fault, :mod:`opsready.chaos.baseline`): marks ``detected``;
- :func:`await_steady_state`: poll the steady state until it holds again: marks ``recovered``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from opsready.chaos.activities import PROBES_MODULE, check_arguments
from opsready.chaos.baseline import Detection, baseline_note, detected
from opsready.chaos.session import Session, current
from opsready.errors import Loc
from opsready.observation import Observation
from opsready.probes.registry import REQUIRED, ProbeCall, all_probes, parse_probe_call

DEFAULT_STEADY = ("readiness", "processes")


def _observe(name: str, arguments: dict[str, Any], configuration: dict[str, Any] | None) -> bool:
    session = current(configuration)
    checked = check_arguments(PROBES_MODULE, name, arguments, Loc(name), Loc(name), kinds=())
    assert checked.probe is not None
    observation = checked.probe.run(session.target)
    session.say(observation.describe())
    return observation.ok


def _wrapper(name: str) -> Callable[..., bool]:
    spec = all_probes()[name]

    def probe(**arguments: Any) -> bool:
        configuration = arguments.pop("configuration", None)
        return _observe(name, arguments, configuration)

    parameters = [
        inspect.Parameter(
            p.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if p.default is REQUIRED else p.default,
        )
        for p in spec.params
    ]
    parameters.sort(key=lambda p: p.default is not inspect.Parameter.empty)  # required ones first, as Python wants
    parameters.append(inspect.Parameter("configuration", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    probe.__name__ = probe.__qualname__ = name
    probe.__module__ = __name__
    probe.__doc__ = f"{spec.summary[:1].upper()}{spec.summary[1:]} (shared probe '{name}'); True when it passes."
    probe.__signature__ = inspect.Signature(parameters, return_annotation=bool)  # type: ignore[attr-defined]
    return probe


for _name in all_probes():  # plugins' probes too: plain `chaos run` finds them here
    globals()[_name] = _wrapper(_name)


def detect(  # noqa: PLR0917  # chaostoolkit passes arguments by keyword; the signature is the YAML's
    probe: str,
    within: str | float = "30 seconds",
    interval: str | float = "100ms",
    arguments: dict[str, Any] | None = None,
    rises_by: str | float | None = None,
    falls_by: str | float | None = None,
    streak: int = 1,
    configuration: dict[str, Any] | None = None,
) -> bool:
    """Poll ``probe`` until it shows the fault ``streak`` observations in a row, for at most ``within``: it fails,
    or (``rises_by``/``falls_by``) its value moved that far from the baseline measured before the fault. True (and
    ``detected`` on the timeline, at the first observation of the streak) when it did; False, recorded as not
    detected (the experiment fails), when it did not."""
    session = current(configuration)
    args: dict[str, Any] = {"probe": probe, "within": within, "interval": interval, "streak": streak}
    for key, value in (("arguments", arguments), ("rises_by", rises_by), ("falls_by", falls_by)):
        if value is not None:
            args[key] = value
    checked = check_arguments(PROBES_MODULE, "detect", args, Loc("detect"), Loc("detect"), kinds=())
    assert checked.probe is not None
    detection, baseline = session.detection_of(checked.probe, checked.change)
    if detection is None:
        detection = Detection("", checked.probe, checked.change, Loc("detect"))
    note = baseline_note(detection, baseline)
    deadline = time.monotonic() + checked.within
    shown: list[Observation] = []  # the current streak of observations that show the fault
    while True:
        observation = checked.probe.run(session.target)
        shown = [*shown, observation] if detected(detection, baseline, observation) else []
        if len(shown) >= checked.streak:
            first = shown[0]
            session.timeline.mark("detected", f"{probe}: {first.describe()}{note}", at=first.at)
            session.say(f"detected: {observation.describe()}{note}")
            return True
        if time.monotonic() >= deadline:
            if detection.change is not None and baseline is None:
                note = " (no baseline was measured before the fault to compare with)"
            missed = f"{detection.describe()}: not detected within {checked.within:g} s: {observation.describe()}{note}"
            session.undetected.append(missed)
            session.say(missed)
            return False
        time.sleep(checked.interval)


def _steady_calls(session: Session, checked_probes: tuple[ProbeCall, ...]) -> tuple[ProbeCall, ...]:
    if checked_probes:
        return checked_probes
    if session.hypothesis:
        return session.hypothesis
    return tuple(parse_probe_call(n, None, Loc(n), Loc(n)) for n in DEFAULT_STEADY)


def await_steady_state(
    within: str | float = "60 seconds",
    probes: list[Any] | None = None,
    streak: int = 3,
    interval: str | float = "200ms",
    configuration: dict[str, Any] | None = None,
) -> bool:
    """Poll the steady state (``probes``, else the hypothesis' opsready probes) until it holds ``streak`` rounds in a
    row, for at most ``within``; True (and ``recovered`` on the timeline, at the first round of the streak) when so."""
    session = current(configuration)
    args: dict[str, Any] = {"within": within, "streak": streak, "interval": interval}
    if probes is not None:
        args["probes"] = probes
    checked = check_arguments(PROBES_MODULE, "await_steady_state", args, Loc("steady"), Loc("steady"), kinds=())
    calls = _steady_calls(session, checked.probes)
    deadline = time.monotonic() + checked.within
    passes, first_pass = 0, 0.0
    last = ""
    while time.monotonic() < deadline:
        started = time.monotonic()
        observations = [call.run(session.target) for call in calls]
        failed = [o for o in observations if not o.ok]
        if failed:
            passes, last = 0, failed[0].describe()
        else:
            first_pass = started if passes == 0 else first_pass
            passes += 1
            if passes >= checked.streak:
                names = ", ".join(c.probe for c in calls)
                session.timeline.mark("recovered", f"steady state holds ({names})", at=first_pass)
                return True
        time.sleep(checked.interval)
    session.say(f"steady state not restored within {checked.within:g} s: {last}")
    return False


__all__ = [*all_probes(), "await_steady_state", "detect"]  # noqa: PLE0604  # the shared probes, generated above
