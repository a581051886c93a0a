"""A game-day plan (``gamedays/*.yaml``): who plays which role, the background load, and the ordered scenarios.

Every name a plan uses (experiment, runbook, severity) is checked against a :class:`Catalogue` the caller builds
from the suite, so a mistake is reported at its line before the first fault is injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from opsready.errors import Loc, ValidationError
from opsready.severity import SEVERITIES, SeverityName
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml

ROLES = ("incident_commander", "scribe", "responders", "observers")


@dataclass(frozen=True)
class Catalogue:
    """What a plan may name: experiments, incident runbooks (with the experiments that rehearse each), severities."""

    experiments: frozenset[str]
    runbooks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severities: tuple[SeverityName, ...] = SEVERITIES
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Roles:
    """The people of the game day."""

    incident_commander: str
    scribe: str
    responders: tuple[str, ...]
    observers: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadProfile:
    """Background users during the whole game day (bounded in time, like every load loop)."""

    clients: int = 2
    rate: float = 20.0  # requests per second, all clients together
    max_duration: float = 600.0
    paths: tuple[str, ...] = ()  # GET these in turn (a service of the team's own); none: the orders journey


@dataclass(frozen=True)
class Scenario:
    """One rehearsal: the fault of ``experiment`` handled by ``runbook``, expected at ``severity``, in ``time_box``."""

    name: str
    experiment: str
    runbook: str
    severity: SeverityName
    time_box: float
    checkpoints: tuple[str, ...]
    loc: Loc
    checkpoint_lines: tuple[int, ...] = ()  # the line of each checkpoint in the plan


@dataclass(frozen=True)
class GameDayPlan:
    """A whole game day."""

    path: Path
    title: str
    date: str
    target: str
    roles: Roles
    load: LoadProfile
    scenarios: tuple[Scenario, ...]


def _names(r: MapReader, key: str, required: bool) -> tuple[str, ...]:
    value = r.raw(key, None if not required else ...)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    names = r.str_list(key)
    if required and not names:
        raise ValidationError(f"'{key}' must name at least one person", r.loc_of(key))
    return tuple(names)


def _roles(r: MapReader) -> Roles:
    for key in r.names():
        if key not in ROLES:
            raise ValidationError(
                f"unknown role '{key}'{did_you_mean(key, ROLES)}; the roles are: {', '.join(ROLES)}", r.loc_of(key)
            )
    return Roles(
        incident_commander=r.string("incident_commander"),
        scribe=r.string("scribe"),
        responders=_names(r, "responders", True),
        observers=_names(r, "observers", False),
    )


def _load(r: MapReader | None) -> LoadProfile:
    if r is None:
        return LoadProfile()
    d = LoadProfile()
    load = LoadProfile(
        clients=r.integer("clients", d.clients, minimum=1),
        rate=r.number("rate", d.rate),
        max_duration=r.duration("max_duration", d.max_duration),
        paths=r.str_list("paths", ()),
    )
    bad = next((p for p in load.paths if not p.startswith("/")), None)
    if bad is not None:
        raise ValidationError(f"each of 'paths' must start with '/', got {bad!r}", r.loc_of("paths"))
    if not 0 < load.rate <= 200:
        raise ValidationError("'rate' must lie between 0 and 200 requests per second", r.loc_of("rate"))
    if not 0 < load.max_duration <= 4 * 3600:
        raise ValidationError("'max_duration' must be positive and at most 4 hours", r.loc_of("max_duration"))
    r.done()
    return load


def _scenario(r: MapReader, known: Catalogue) -> Scenario:
    experiment = r.string("experiment")
    if experiment not in known.experiments:
        raise ValidationError(
            f"unknown experiment '{experiment}'{did_you_mean(experiment, sorted(known.experiments))}",
            r.loc_of("experiment"),
        )
    runbook = r.string("runbook")
    if runbook not in known.runbooks:
        raise ValidationError(
            f"unknown incident runbook '{runbook}'{did_you_mean(runbook, sorted(known.runbooks))}", r.loc_of("runbook")
        )
    if experiment not in known.runbooks[runbook]:
        raise ValidationError(
            f"runbook '{runbook}' is rehearsed by {', '.join(known.runbooks[runbook]) or 'no experiment'}, "
            f"not by '{experiment}'",
            r.loc_of("experiment"),
        )
    severity: SeverityName = r.choice("severity", known.severities or SEVERITIES)
    time_box = r.duration("time_box")
    if not 0 < time_box <= 3600:
        raise ValidationError("'time_box' must be positive and at most an hour", r.loc_of("time_box"))
    scenario = Scenario(
        name=r.string("name", experiment),
        experiment=experiment,
        runbook=runbook,
        severity=severity,
        time_box=time_box,
        checkpoints=r.str_list("checkpoints", ()),
        loc=r.loc,
        checkpoint_lines=tuple(getattr(r.raw("checkpoints", None), "item_lines", ())),
    )
    r.done()
    return scenario


def load_plan(path: Path, known: Catalogue) -> GameDayPlan:
    """Read and validate a plan; the first mistake is raised as a :class:`ValidationError` at its line."""
    r = MapReader(load_yaml(path), Loc(str(path), 1), "game-day plan")
    title = r.string("title")
    day = r.raw("date")
    if not isinstance(day, date):
        raise ValidationError(f"'date' must be a date like 2026-12-03, got {day!r}", r.loc_of("date"))
    target = r.string("target")
    if known.targets and target not in known.targets:
        raise ValidationError(
            f"unknown target '{target}'{did_you_mean(target, known.targets)}; configured: {', '.join(known.targets)}",
            r.loc_of("target"),
        )
    roles = _roles(r.map("roles"))
    load = _load(r.optional_map("load", "'load'"))
    scenarios = tuple(
        _scenario(MapReader(item, loc, f"scenario {i}"), known) for i, (item, loc) in enumerate(r.items("scenarios"), 1)
    )
    if not scenarios:
        raise ValidationError("a game day needs at least one scenario", r.loc_of("scenarios"))
    names = [s.name for s in scenarios]
    for scenario in scenarios:
        if names.count(scenario.name) > 1:
            raise ValidationError(f"two scenarios are named '{scenario.name}'; give each its own 'name'", scenario.loc)
    r.done()
    return GameDayPlan(path, title, day.isoformat(), target, roles, load, scenarios)
