"""The platform-neutral fault model: what a fault is, how it is described and validated, how it is undone.

A *fault* is an inject/revert pair on a target (stop a service, hold a database lock, add latency on a link, ...).
Platforms offer faults through the optional :class:`FaultInjectable` protocol; code that needs them asks with
:func:`faults_of`, which names what is missing instead of failing with an AttributeError, and adds the fault kinds
installed packages ship for the target's platform (entry-point group ``opsready.faults``, a :class:`FaultPlugin`
each): the guard, the dead-man watchdog, ``opsready recover`` and the reconcile all see them.

A fault must be revertible by a *different process* than the one that injected it (the dead-man watchdog, ``opsready
recover``): everything :meth:`Fault.revert` needs is the :class:`FaultSpec`, the fault id and the *facts* that
:meth:`Fault.prepare` returned before the injection (they are journaled before anything changes). ``revert`` is
idempotent: reverting a fault that was never applied, or twice, is harmless.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from opsready.durations import parse_duration
from opsready.errors import Loc, PluginError, UsageError, ValidationError
from opsready.observation import Observation
from opsready.plugins import FAULTS_GROUP, Installed, load_as, names
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader

# parameter kinds: how a YAML value is read
ParamKind = Literal["text", "int", "number", "duration", "percent", "choice"]
TEXT: ParamKind = "text"
INT: ParamKind = "int"
NUMBER: ParamKind = "number"
DURATION: ParamKind = "duration"
PERCENT: ParamKind = "percent"
CHOICE: ParamKind = "choice"
# what a fault breaks, for people choosing one (``opsready experiment kinds``, chaos discovery)
FaultFamily = Literal["process", "database", "network", "resources", "release"]
MIN_TIME_LIMIT = 1.0
MAX_TIME_LIMIT = 3600.0
DEFAULT_TIME_LIMIT = 60.0

Scalar = str | int | float | bool
Facts = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FaultParam:
    """One parameter of a fault kind: YAML name, kind, default (None: required), allowed choices and bounds."""

    name: str
    kind: ParamKind
    default: Scalar | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    summary: str = ""

    @property
    def required(self) -> bool:
        """Whether the parameter must be written."""
        return self.default is None

    def describe(self) -> str:
        """'service: one of api, worker (required)'."""
        what = f"one of {', '.join(self.choices)}" if self.choices else self.kind
        low = "" if self.minimum is None else _number(self.minimum)
        high = "" if self.maximum is None else _number(self.maximum)
        bounds = f" [{low}..{high}]" if low or high else ""
        default = "required" if self.required else f"default {self.default}"
        return f"{self.name}: {what}{bounds} ({default})" + (f": {self.summary}" if self.summary else "")


@dataclass(frozen=True)
class FaultKind:
    """A kind of fault a target can inject, with the schema of its parameters."""

    name: str
    family: FaultFamily
    summary: str
    params: tuple[FaultParam, ...] = ()

    def param(self, name: str) -> FaultParam | None:
        """A parameter by name."""
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class FaultSpec:
    """A validated fault: its kind, parameters (name, value) in schema order, and its time limit in seconds."""

    kind: str
    params: tuple[tuple[str, Scalar], ...] = ()
    time_limit: float = DEFAULT_TIME_LIMIT

    def get(self, name: str) -> Scalar:
        """A parameter's value (every parameter of the schema is present once validated)."""
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(f"fault '{self.kind}' has no parameter '{name}'")

    def text(self, name: str) -> str:
        """A parameter as a string."""
        return str(self.get(name))

    def number(self, name: str) -> float:
        """A parameter as a float."""
        value = self.get(name)
        return float(value) if not isinstance(value, str) else float(value.strip() or 0)

    def describe(self) -> str:
        """'db-stop (time limit 60 s)' / 'network-latency proxy=edge, latency=0.5 (time limit 30 s)'."""
        args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params)
        return f"{self.kind}{' ' + args if args else ''} (time limit {self.time_limit:g} s)"

    def to_json(self) -> dict[str, object]:
        """The spec as written to a fault journal."""
        return {"kind": self.kind, "params": dict(self.params), "time_limit": self.time_limit}

    @classmethod
    def from_json(cls, data: object) -> FaultSpec:
        """Read a spec back from a journal (shape only: the target re-validates its parameters)."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ValueError("fault spec must be a mapping with a 'kind'")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("fault spec 'params' must be a mapping")
        limit = data.get("time_limit", DEFAULT_TIME_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int | float):
            raise ValueError("fault spec 'time_limit' must be a number")
        values: list[tuple[str, Scalar]] = []
        for key, value in params.items():
            if not isinstance(value, str | int | float | bool):
                raise ValueError(f"fault parameter '{key}' must be a scalar")
            values.append((str(key), value))
        return cls(kind=data["kind"], params=tuple(values), time_limit=float(limit))


class Fault(Protocol):
    """One fault on a target, identified by ``fault_id``; created by :meth:`FaultInjectable.fault`."""

    @property
    def spec(self) -> FaultSpec:
        """What this fault is."""
        ...

    def describe(self) -> str:
        """What would be injected where, and how it is reverted (read-only: for plans and logs)."""
        ...

    def prepare(self) -> Facts:
        """Check the fault can be injected now and return the facts a later revert needs (read-only)."""
        ...

    def inject(self, deadline: float) -> None:
        """Apply the fault; returns once it is in effect. Anything that holds it gives up by itself at ``deadline``
        (epoch seconds)."""
        ...

    def revert(self, timeout: float) -> None:
        """Undo the fault within about ``timeout`` seconds; idempotent, harmless when it was never applied."""
        ...

    def verify_reverted(self) -> Observation:
        """A read-only probe that the fault is gone (``ok`` when nothing of it remains)."""
        ...


class FaultBase:
    """What every adapter's faults share: the spec, the id, the facts a revert needs, and the place in the description;
    a subclass says :attr:`placement` and implements inject, revert, verify_reverted; prepare when it needs facts."""

    def __init__(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> None:
        self._spec = spec
        self.fault_id = fault_id
        self.facts = dict(facts)

    @property
    def spec(self) -> FaultSpec:
        """What this fault is."""
        return self._spec

    @property
    def placement(self) -> str:
        """Where the fault is placed, for messages: 'on the sandbox in /path', 'on host app1'."""
        raise NotImplementedError

    def describe(self) -> str:
        """What would be injected where (subclasses say more)."""
        return f"{self._spec.describe()} {self.placement}"

    def prepare(self) -> Facts:
        """Nothing to remember by default."""
        return ()

    def inject(self, deadline: float) -> None:
        """Apply the fault (each kind implements it)."""
        raise NotImplementedError

    def revert(self, timeout: float) -> None:
        """Undo the fault (each kind implements it)."""
        raise NotImplementedError

    def verify_reverted(self) -> Observation:
        """Observe that the fault is gone (each kind implements it)."""
        raise NotImplementedError


@runtime_checkable
class FaultInjectable(Protocol):
    """A target that can inject faults, revert them from any process, and say where their journals live."""

    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """The kinds of fault this target offers now, with their parameter schemas (read-only)."""
        ...

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """A handle on one fault (nothing happens until ``inject``/``revert`` is called)."""
        ...

    def fault_journal_dir(self) -> Path:
        """Where fault journals of this target are kept (beside the target's own state)."""
        ...

    def fault_residue(self) -> tuple[Observation, ...]:
        """An independent, read-only sweep for anything any fault may have left behind (all ``ok`` when clean)."""
        ...


def faults_of(target: object) -> FaultInjectable:
    """``target`` as :class:`FaultInjectable` (with the fault kinds installed plugins add for its platform), or a
    :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, FaultInjectable):
        platform = getattr(target, "platform", type(target).__name__)
        raise UsageError(f"fault injection is not supported on platform '{platform}' (no FaultInjectable)")
    return with_plugins(target, str(getattr(target, "platform", "")))


# -- fault kinds from installed packages (docs/plugins.md) ------------------------------------------------------------

FaultOpener = Callable[[object, FaultSpec, str, Facts], Fault]  # (target, spec, fault id, facts) -> Fault
Residue = Callable[[object], tuple[Observation, ...]]  # (target) -> observations, all ok when nothing is left


@dataclass(frozen=True)
class FaultPlugin:
    """A fault kind a package adds: its schema, how a fault of it is opened on a target, and where it applies."""

    kind: FaultKind
    open: FaultOpener
    platforms: tuple[str, ...] = ()  # the platforms it applies to; empty: every platform that injects faults
    residue: Residue | None = None  # an independent sweep for anything its faults may leave behind

    def applies_to(self, platform: str) -> bool:
        """Whether targets of ``platform`` offer this kind."""
        return not self.platforms or platform in self.platforms


@functools.cache
def fault_plugins() -> tuple[tuple[Installed, FaultPlugin], ...]:
    """Every installed fault plugin, loaded and checked (a :class:`PluginError` naming the package if broken)."""
    found = []
    for name, entry in names(FAULTS_GROUP).items():
        plugin = load_as(entry, FaultPlugin, "an opsready.targets.faults.FaultPlugin")
        if plugin.kind.name != name:
            raise PluginError(
                f"plugin {entry.describe()} is a fault kind named '{plugin.kind.name}': the entry point and the kind "
                "must share one name",
                hint=f"fix or uninstall {entry.package}",
            )
        found.append((entry, plugin))
    return tuple(found)


class PluginFaults:
    """A target's faults with the installed plugins' kinds beside its own (a :class:`FaultInjectable`)."""

    def __init__(self, target: FaultInjectable, platform: str, plugins: tuple[tuple[Installed, FaultPlugin], ...]):
        self.target = target
        self.platform = platform
        self.plugins = plugins
        self._by_kind = {plugin.kind.name: plugin for _, plugin in plugins}

    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """The platform's kinds, then the plugins'; a plugin kind named like a platform's is a PluginError."""
        own = self.target.fault_kinds()
        taken = {kind.name for kind in own}
        for entry, plugin in self.plugins:
            if plugin.kind.name in taken:
                raise PluginError(
                    f"plugin {entry.describe()} takes the name of a fault kind platform '{self.platform}' offers "
                    "itself; a plugin cannot replace it",
                    hint=f"rename the entry point and its kind, or uninstall {entry.package}",
                )
        return (*own, *(plugin.kind for _, plugin in self.plugins))

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """A plugin's fault for its kinds, else the platform's own."""
        plugin = self._by_kind.get(spec.kind)
        if plugin is None:
            return self.target.fault(spec, fault_id, facts)
        return plugin.open(self.target, spec, fault_id, facts)

    def fault_journal_dir(self) -> Path:
        """The platform's journal directory: plugin faults are journaled with its own."""
        return self.target.fault_journal_dir()

    def fault_residue(self) -> tuple[Observation, ...]:
        """The platform's sweep, then each plugin's."""
        found = list(self.target.fault_residue())
        for _, plugin in self.plugins:
            if plugin.residue is not None:
                found.extend(plugin.residue(self.target))
        return tuple(found)


def with_plugins(target: FaultInjectable, platform: str) -> FaultInjectable:
    """``target`` itself when no installed fault plugin applies to ``platform``, else :class:`PluginFaults`."""
    if not names(FAULTS_GROUP):  # by metadata alone: nothing is imported when no fault plugin is installed
        return target
    applying = tuple((entry, plugin) for entry, plugin in fault_plugins() if plugin.applies_to(platform))
    return PluginFaults(target, platform, applying) if applying else target


def find_kind(kinds: tuple[FaultKind, ...], name: object, loc: Loc | None = None) -> FaultKind:
    """The kind called ``name``; unknown kinds are a :class:`ValidationError` listing the known ones."""
    for kind in kinds:
        if kind.name == name:
            return kind
    names = tuple(k.name for k in kinds)
    raise ValidationError(
        f"unknown fault kind {name!r}{did_you_mean(str(name), names)}; this target offers: {', '.join(names)}", loc
    )


def _number(value: float) -> str:
    """1000000 rather than 1e+06, 0.001 rather than 0.001000."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _read_param(reader: MapReader, param: FaultParam) -> Scalar:
    default: tuple[Any, ...] = () if param.required else (param.default,)
    readers: Mapping[str, Callable[..., Any]] = {
        TEXT: reader.string,
        INT: reader.integer,
        NUMBER: reader.number,
        DURATION: reader.duration,
        PERCENT: reader.percent,
    }
    if param.kind == CHOICE:
        value: Scalar = reader.choice(param.name, param.choices, *default)
    else:
        value = readers[param.kind](param.name, *default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = param.minimum, param.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError(
                f"'{param.name}' must be between {'-' if low is None else _number(low)} and "
                f"{'-' if high is None else _number(high)}, got {_number(value)}",
                reader.loc_of(param.name),
            )
    return value


def parse_fault_spec(
    kinds: tuple[FaultKind, ...],
    kind: object,
    params: object,
    time_limit: object,
    loc: Loc,
    *,
    params_loc: Loc | None = None,
    limit_loc: Loc | None = None,
) -> FaultSpec:
    """Validate a fault kind, its parameters and its time limit; every mistake is a ``path:line`` error."""
    found = find_kind(kinds, kind, loc)
    reader = MapReader(params if params is not None else {}, params_loc or loc, f"parameters of fault '{found.name}'")
    values = tuple((p.name, _read_param(reader, p)) for p in found.params)
    reader.done()
    where = limit_loc or loc
    limit = DEFAULT_TIME_LIMIT if time_limit is None else parse_duration(time_limit, where)
    if not MIN_TIME_LIMIT <= limit <= MAX_TIME_LIMIT:
        raise ValidationError(
            f"time_limit must be between {MIN_TIME_LIMIT:g} s and {MAX_TIME_LIMIT:g} s, got {limit:g} s", where
        )
    return FaultSpec(found.name, values, limit)


def revalidate(kinds: tuple[FaultKind, ...], spec: FaultSpec, where: str) -> FaultSpec:
    """Check a spec read back from a journal against the target's schema (a :class:`ValidationError` if stale)."""
    return parse_fault_spec(kinds, spec.kind, dict(spec.params), spec.time_limit, Loc(where))
