"""The incident classification: the story's four severities, each with its response and escalation times, the targets
drills are held to, and the observable criteria (over the shared probes) that put an incident in it.

``runbooks/incident-classification.yaml`` is read once and validated completely before anything observes a target:
a missing severity or response time, a duration that does not parse, an unknown probe, a criterion without a
threshold, two criteria whose ranges overlap, a severity without criteria: each is a ``path:line`` error.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from opsready.durations import format_duration, parse_duration
from opsready.errors import Loc, ValidationError
from opsready.incident.measures import HIGHER, MEASURES, Interval, Measure
from opsready.observation import Observation
from opsready.probes.registry import ProbeCall, parse_probe_call
from opsready.severity import SEVERITIES, SeverityName
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml

IMMEDIATE = "immediate"
CRITERION_KEYS = ("name", "probe", "args", "failing", "above", "up_to", "below", "down_to", "means")


@dataclass(frozen=True)
class Criterion:
    """One observable condition that puts an incident in a severity."""

    severity: SeverityName
    name: str
    probe: ProbeCall
    measure: Measure | None  # None: a pass/fail probe, matched when it fails
    interval: Interval | None
    means: str
    loc: Loc

    def condition(self) -> str:
        """'readiness failing', 'error_rate above 5%'."""
        if self.measure is None or self.interval is None:
            return f"{self.probe.probe} failing"
        return f"{self.probe.probe} {self.interval.describe(self.measure)}"

    def matches(self, observation: Observation) -> bool:
        """Whether the observation (of this criterion's probe) meets the condition."""
        if observation.probe != self.probe.probe:
            return False
        if self.measure is None or self.interval is None:
            return not observation.ok
        value = self.measure.value(observation)
        return value is not None and value in self.interval


@dataclass(frozen=True)
class Targets:
    """How fast a drill of this severity must go (seconds)."""

    detect_within: float
    mitigate_within: float
    recover_within: float
    # the team's monitoring, measured when the target has Prometheus and Alertmanager: fault injected -> the
    # runbook's alert firing, and fault injected -> its page delivered (None: a classification without them)
    alert_within: float | None = None
    page_within: float | None = None


@dataclass(frozen=True)
class Severity:
    """One severity of the classification."""

    name: SeverityName
    description: str
    response_time: float
    escalation: float  # 0 is immediate
    targets: Targets
    criteria: tuple[Criterion, ...]
    loc: Loc

    def describe_escalation(self) -> str:
        """'immediate' or '2 h 0 min'."""
        return IMMEDIATE if self.escalation == 0 else format_duration(self.escalation)


@dataclass(frozen=True)
class MonitorSettings:
    """How the drill's monitor observes the target."""

    interval: float = 1.0
    confirm: int = 1
    assess: int = 1  # rounds after detection whose worst verdict is the classification (a window may start mid-fault)
    recover_after: int = 3
    give_up_after: float = 300.0


@dataclass(frozen=True)
class Classification:
    """The whole classification file."""

    path: Path
    severities: tuple[Severity, ...]
    monitor: MonitorSettings

    def severity(self, name: str) -> Severity:
        """A severity by name (every one of :data:`SEVERITIES` exists once validated)."""
        for severity in self.severities:
            if severity.name == name:
                return severity
        raise KeyError(name)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion, most severe first."""
        return tuple(c for s in self.severities for c in s.criteria)

    def slow_after(self, default: float = 0.3) -> float:
        """What the classification calls slow for a user request: its lowest ``latency`` threshold (seconds)."""
        lows = [c.interval.low for c in self.criteria if c.probe.probe == "latency" and c.interval is not None]
        finite = [low for low in lows if low != -math.inf]
        return min(finite) if finite else default

    @property
    def probes(self) -> tuple[ProbeCall, ...]:
        """One call per probe the criteria observe (criteria on one probe share its arguments)."""
        calls: dict[str, ProbeCall] = {}
        for criterion in self.criteria:
            calls.setdefault(criterion.probe.probe, criterion.probe)
        return tuple(calls.values())


def _threshold(r: MapReader, key: str, measure: Measure) -> float | None:
    if not r.has(key):
        return None
    value: float = r.percent(key) if measure.kind == "percent" else r.duration(key)
    return value


def _interval(r: MapReader, measure: Measure, probe: str) -> Interval:
    higher = ("above", "up_to")
    lower = ("below", "down_to")
    wrong = lower if measure.worse == HIGHER else higher
    for key in wrong:
        if r.has(key):
            way = (
                "rises: use 'above' (and 'up_to')" if measure.worse == HIGHER else "falls: use 'below' (and 'down_to')"
            )
            raise ValidationError(f"probe '{probe}' gets worse as its value {way}, not '{key}'", r.loc_of(key))
    if measure.worse == HIGHER:
        above, up_to = _threshold(r, "above", measure), _threshold(r, "up_to", measure)
        if above is None:
            raise ValidationError(f"criterion on '{probe}' needs a threshold: 'above' (and optionally 'up_to')", r.loc)
        interval = Interval(above, False, math.inf if up_to is None else up_to, up_to is not None)
        bad = "up_to" if up_to is not None else "above"
    else:
        below, down_to = _threshold(r, "below", measure), _threshold(r, "down_to", measure)
        if below is None:
            raise ValidationError(
                f"criterion on '{probe}' needs a threshold: 'below' (and optionally 'down_to')", r.loc
            )
        interval = Interval(-math.inf if down_to is None else down_to, down_to is not None, below, False)
        bad = "down_to" if down_to is not None else "below"
    if interval.empty:
        raise ValidationError(f"criterion on '{probe}' matches no value: {interval.describe(measure)}", r.loc_of(bad))
    return interval


def _criterion(severity: SeverityName, data: object, loc: Loc, index: int) -> Criterion:
    r = MapReader(data, loc, f"criterion of '{severity}'")
    for key in r.data:
        if key not in CRITERION_KEYS:
            raise ValidationError(
                f"criterion: unknown key '{key}'{did_you_mean(key, CRITERION_KEYS)} "
                f"(expected: {', '.join(CRITERION_KEYS)})",
                r.loc_of(key),
            )
    name = r.string("probe")
    call = parse_probe_call(name, r.raw("args", None), r.loc_of("probe"), r.value_loc("args"))
    measure = MEASURES.get(name)
    interval = None
    if measure is None:
        for key in ("above", "up_to", "below", "down_to"):
            if r.has(key):
                raise ValidationError(
                    f"probe '{name}' only passes or fails: write 'failing: true', not '{key}' "
                    f"(probes with values: {', '.join(MEASURES)})",
                    r.loc_of(key),
                )
        if r.flag("failing", False) is not True:
            raise ValidationError(
                f"criterion on '{name}' must say 'failing: true' (the probe only passes or fails)", r.loc
            )
    else:
        if r.has("failing"):
            raise ValidationError(
                f"probe '{name}' measures a value: give a threshold instead of 'failing'", r.loc_of("failing")
            )
        interval = _interval(r, measure, name)
    means = r.string("means", "")
    label = r.string("name", f"{severity}-{index + 1}")
    r.done()
    return Criterion(severity, label, call, measure, interval, means.strip(), r.loc)


def _escalation(r: MapReader) -> float:
    value = r.raw("escalation")
    if isinstance(value, str) and value.strip().lower() == IMMEDIATE:
        return 0.0
    try:
        return parse_duration(value, r.loc_of("escalation"))
    except ValidationError as exc:
        raise ValidationError(f"{exc.message} (or '{IMMEDIATE}')", exc.loc) from None


def _targets(r: MapReader) -> Targets:
    t = r.map("targets", f"targets of '{r.what}'")
    targets = Targets(
        detect_within=t.duration("detect_within"),
        mitigate_within=t.duration("mitigate_within"),
        recover_within=t.duration("recover_within"),
        alert_within=t.duration("alert_within") if t.has("alert_within") else None,
        page_within=t.duration("page_within") if t.has("page_within") else None,
    )
    if (
        targets.alert_within is not None
        and targets.page_within is not None
        and (targets.page_within < targets.alert_within)
    ):
        raise ValidationError(
            "page_within must not be shorter than alert_within: a page follows its alert", t.loc_of("page_within")
        )
    t.done()
    return targets


def _severity(name: SeverityName, r: MapReader) -> Severity:
    description = r.string("description").strip()
    if not description:
        raise ValidationError(f"severity '{name}': 'description' must not be empty", r.loc_of("description"))
    response_time = r.duration("response_time")
    escalation = _escalation(r)
    targets = _targets(r)
    items = list(r.items("criteria", []))
    if not items:
        raise ValidationError(
            f"severity '{name}' has no criteria: nothing observable would ever classify an incident as {name}",
            r.loc_of("criteria") if r.has("criteria") else r.loc,
        )
    criteria = tuple(_criterion(name, item, loc, i) for i, (item, loc) in enumerate(items))
    r.done()
    return Severity(name, description, response_time, escalation, targets, criteria, r.loc)


def _monitor(r: MapReader | None) -> MonitorSettings:
    if r is None:
        return MonitorSettings()
    d = MonitorSettings()
    settings = MonitorSettings(
        interval=r.duration("interval", d.interval),
        confirm=r.integer("confirm", d.confirm, minimum=1),
        assess=r.integer("assess", d.assess, minimum=0),
        recover_after=r.integer("recover_after", d.recover_after, minimum=1),
        give_up_after=r.duration("give_up_after", d.give_up_after),
    )
    if not 0.1 <= settings.interval <= 60:
        raise ValidationError("'interval' must be between 100ms and 60 seconds", r.loc_of("interval"))
    r.done()
    return settings


def _check_overlaps(criteria: tuple[Criterion, ...]) -> None:
    seen: dict[str, list[Criterion]] = {}
    for criterion in criteria:
        for other in seen.get(criterion.probe.probe, []):
            where = f"line {other.loc.line} ({other.severity}: {other.condition()})"
            if other.probe.kwargs != criterion.probe.kwargs:
                raise ValidationError(
                    f"criteria on probe '{criterion.probe.probe}' must use the same 'args' as the one at {where}, "
                    "so one observation decides between them",
                    criterion.loc,
                )
            both = criterion.interval is None or other.interval is None or criterion.interval.overlaps(other.interval)
            if both:
                raise ValidationError(
                    f"criterion '{criterion.condition()}' ({criterion.severity}) overlaps the one at {where}: "
                    "one observation would match both; make their ranges disjoint",
                    criterion.loc,
                )
        seen.setdefault(criterion.probe.probe, []).append(criterion)


def _check_order(severities: tuple[Severity, ...]) -> None:
    for more, less in itertools.pairwise(severities):
        if less.response_time < more.response_time:
            raise ValidationError(
                f"severity '{less.name}' asks for a faster response ({format_duration(less.response_time)}) than "
                f"the more severe '{more.name}' ({format_duration(more.response_time)})",
                less.loc,
            )


def parse_classification(data: object, path: Path) -> Classification:
    """Validate parsed classification YAML."""
    r = MapReader(data, Loc(str(path), 1), "incident classification")
    version = r.integer("version", 1)
    if version != 1:
        raise ValidationError(f"unsupported version {version} (this opsready reads version 1)", r.loc_of("version"))
    monitor = _monitor(r.optional_map("monitor"))
    section = r.map("incident_severity")
    for name in section.data:
        if name not in SEVERITIES:
            raise ValidationError(
                f"unknown severity '{name}'{did_you_mean(name, SEVERITIES)}; the severities are: "
                f"{', '.join(SEVERITIES)}",
                section.loc_of(name),
            )
    missing = [name for name in SEVERITIES if name not in section.data]
    if missing:
        raise ValidationError(f"severity '{missing[0]}' is missing (every one of {', '.join(SEVERITIES)})", section.loc)
    severities = tuple(_severity(name, section.map(name, f"severity '{name}'")) for name in SEVERITIES)
    section.names()
    r.done()
    _check_order(severities)
    _check_overlaps(tuple(c for s in severities for c in s.criteria))
    return Classification(path, severities, monitor)


def load_classification(path: Path) -> Classification:
    """Read and validate a classification file."""
    return parse_classification(load_yaml(path), path)
