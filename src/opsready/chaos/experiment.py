"""Chaostoolkit experiments, validated completely before the first fault: structure, activities, their arguments.

Activities of the opsready extension (:mod:`opsready.chaos.actions`, :mod:`opsready.chaos.probes`) are checked
against the target's fault kinds and the shared probe registry; other Python activities are imported and their
arguments bound to the function's signature, like chaostoolkit does. Every mistake is a ``path:line`` error.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from opsready.chaos.activities import ACTIONS_MODULE, CONTROL_MODULE, PROBES_MODULE, check_arguments
from opsready.chaos.baseline import Detection
from opsready.errors import Loc, ValidationError
from opsready.probes.registry import ProbeCall
from opsready.spelling import did_you_mean
from opsready.targets.faults import FaultKind, FaultSpec
from opsready.yamlsrc import MapReader, load_yaml

TOP_LEVEL = (
    "version",
    "title",
    "description",
    "tags",
    "contributions",
    "configuration",
    "secrets",
    "extensions",
    "controls",
    "steady-state-hypothesis",
    "method",
    "rollbacks",
    "runtime",
    "dry",  # set by `chaos run` itself before controls see the experiment
)
# where an activity is written: the hypothesis holds probes only; faults are injected in the method or the rollbacks
Phase = Literal["hypothesis", "method", "rollbacks"]
ActivityType = Literal["probe", "action"]
ACTIVITY_KEYS = ("type", "name", "provider", "tolerance", "pauses", "background", "controls", "timeout", "ref")


@dataclass(frozen=True)
class PlannedFault:
    """A fault an experiment will inject: its name, spec, and where the inject activity is written."""

    name: str
    spec: FaultSpec
    loc: Loc
    phase: Phase  # method or rollbacks: a hypothesis holds no action


@dataclass(frozen=True)
class Step:
    """One activity of an experiment, as validated."""

    phase: Phase
    type: ActivityType
    name: str
    provider: str  # 'python opsready.chaos.actions:inject', 'process', 'http'
    loc: Loc
    fault: PlannedFault | None = None


@dataclass(frozen=True)
class Experiment:
    """A validated experiment, and the plain data chaostoolkit runs."""

    path: Path
    title: str
    steps: tuple[Step, ...]
    faults: tuple[PlannedFault, ...]
    hypothesis: tuple[ProbeCall, ...]
    data: dict[str, Any]
    detections: tuple[Detection, ...] = ()  # each method `detect` with the fault injected before it

    @property
    def name(self) -> str:
        """The file name without extension (how scenarios and reports name it)."""
        return self.path.stem


@dataclass(frozen=True)
class _Call:
    module: str
    func: str
    args: dict[str, Any]
    module_loc: Loc
    func_loc: Loc
    args_loc: Loc


def plain(value: Any) -> Any:
    """YAML data (with line numbers) as plain dicts and lists, for chaostoolkit."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class _Validator:
    def __init__(self, path: str, kinds: tuple[FaultKind, ...]) -> None:
        self.path = path
        self.kinds = kinds
        self.steps: list[Step] = []
        self.faults: list[PlannedFault] = []
        self.hypothesis: list[ProbeCall] = []
        self.reverts: list[tuple[str, Loc]] = []
        self.detections: list[Detection] = []

    def activities(self, reader: MapReader, key: str, phase: Phase, required: bool = False) -> None:
        if not reader.has(key) and not required:
            return
        items = list(reader.items(key))
        if required and not items:
            raise ValidationError(f"'{key}' must list at least one activity", reader.loc_of(key))
        for item, loc in items:
            self.activity(item, loc, phase)

    def activity(self, data: object, loc: Loc, phase: Phase) -> None:
        r = MapReader(data, loc, f"{phase} activity")
        if r.has("ref"):
            r.string("ref")
            r.done()
            return
        kind: ActivityType = r.choice("type", ("probe", "action"))
        name = r.string("name")
        if phase == "hypothesis" and kind != "probe":
            raise ValidationError(f"'{name}': the steady-state hypothesis may only hold probes", r.loc_of("type"))
        if phase == "hypothesis" and not r.has("tolerance"):
            raise ValidationError(f"'{name}': a hypothesis probe needs a 'tolerance'", r.loc)
        r.raw("tolerance", None)
        r.flag("background", False)
        r.number("timeout", 0.0)
        r.items("controls", [])
        pauses = r.optional_map("pauses", f"pauses of '{name}'")
        if pauses is not None:
            pauses.number("before", 0.0)
            pauses.number("after", 0.0)
            pauses.done()
        provider = r.map("provider", f"provider of '{name}'")
        before = len(self.faults)
        described = self.provider(provider, kind, name, phase)
        r.done()
        fault = self.faults[-1] if len(self.faults) > before else None
        self.steps.append(Step(phase, kind, name, described, r.loc, fault))

    def provider(self, r: MapReader, kind: ActivityType, name: str, phase: Phase) -> str:
        ptype = str(r.choice("type", ("python", "process", "http")))
        if ptype != "python":
            r.names()  # chaostoolkit checks process and http providers itself
            return ptype
        arguments = r.raw("arguments", None)
        if arguments is not None and not isinstance(arguments, dict):
            raise ValidationError(f"'{name}': 'arguments' must be a mapping", r.loc_of("arguments"))
        call = _Call(
            module=str(r.string("module")),
            func=str(r.string("func")),
            args=arguments or {},
            module_loc=r.loc_of("module"),
            func_loc=r.loc_of("func"),
            args_loc=r.value_loc("arguments") if r.has("arguments") else r.loc,
        )
        r.items("secrets", [])
        r.done()
        if call.module in (ACTIONS_MODULE, PROBES_MODULE):
            self.ours(call, kind, name, phase)
        else:
            self.foreign(call)
        return f"python {call.module}:{call.func}"

    def ours(self, call: _Call, kind: ActivityType, name: str, phase: Phase) -> None:
        expected = "action" if call.module == ACTIONS_MODULE else "probe"
        if kind != expected:
            raise ValidationError(f"'{name}': {call.module}.{call.func} is a {expected}, not a {kind}", call.func_loc)
        checked = check_arguments(call.module, call.func, call.args, call.func_loc, call.args_loc, kinds=self.kinds)
        if checked.fault is not None:
            if any(f.name == checked.fault_name for f in self.faults):
                raise ValidationError(f"fault name '{checked.fault_name}' is used twice", call.args_loc)
            self.faults.append(PlannedFault(checked.fault_name, checked.fault, call.args_loc, phase))
        if checked.revert_name:
            self.reverts.append((checked.revert_name, call.args_loc))
        if checked.probe is not None and phase == "hypothesis":
            self.hypothesis.append(checked.probe)
        if call.func == "detect" and checked.probe is not None and phase == "method":
            injected = [f.name for f in self.faults if f.phase == "method"]
            if checked.change is not None and not injected:
                raise ValidationError(
                    f"'{name}': a detection relative to the baseline ({checked.change.describe()}) needs a fault "
                    "injected before it in the method: the baseline is measured just before that fault",
                    call.args_loc,
                )
            fault = injected[-1] if injected else ""
            self.detections.append(Detection(fault, checked.probe, checked.change, call.args_loc))

    def foreign(self, call: _Call) -> None:
        try:
            mod = importlib.import_module(call.module)
        except ImportError as exc:
            raise ValidationError(f"cannot import module '{call.module}': {exc}", call.module_loc) from None
        fn: Callable[..., Any] | None = getattr(mod, call.func, None)
        if not callable(fn):
            names = [n for n, _ in inspect.getmembers(mod, inspect.isfunction)]
            raise ValidationError(
                f"module '{call.module}' has no function '{call.func}'{did_you_mean(call.func, names)}", call.func_loc
            )
        signature = inspect.signature(fn)
        bound = dict(call.args)
        for injected in ("configuration", "secrets"):
            if injected in signature.parameters:
                bound[injected] = None
        try:
            signature.bind(**bound)
        except TypeError as exc:
            raise ValidationError(
                f"arguments do not fit {call.module}.{call.func}{signature}: {exc}", call.args_loc
            ) from None

    def check_reverts(self) -> None:
        names = {f.name for f in self.faults}
        for name, loc in self.reverts:
            if name not in names:
                known = ", ".join(sorted(names)) or "none"
                hint = did_you_mean(name, sorted(names))
                raise ValidationError(f"revert names fault '{name}'{hint}, but the experiment injects: {known}", loc)


def _has_control(reader: MapReader) -> bool:
    for item, loc in reader.items("controls", []):
        control = MapReader(item, loc, "control")
        control.string("name")
        provider = control.map("provider", "control provider")
        module = provider.raw("module", None)
        provider.names()
        control.names()
        if module == CONTROL_MODULE:
            return True
    return False


def validate_experiment(data: object, path: Path, kinds: tuple[FaultKind, ...]) -> Experiment:
    """Validate parsed experiment data (plain dicts are fine too: then errors have no line numbers)."""
    r = MapReader(data, Loc(str(path), 1), "experiment")
    for key in r.data:
        if key not in TOP_LEVEL:
            raise ValidationError(f"experiment: unknown key '{key}'{did_you_mean(key, TOP_LEVEL)}", r.loc_of(key))
    title = r.string("title")
    v = _Validator(str(path), kinds)
    hypothesis = r.optional_map("steady-state-hypothesis", "steady-state-hypothesis")
    if hypothesis is not None:
        hypothesis.string("title", "")
        hypothesis.items("controls", [])
        v.activities(hypothesis, "probes", "hypothesis")
        hypothesis.done()
    v.activities(r, "method", "method", required=True)
    v.activities(r, "rollbacks", "rollbacks")
    v.check_reverts()
    has_control = _has_control(r)
    if v.faults and not has_control:
        raise ValidationError(
            "an experiment that injects faults must declare the opsready control, so that plain `chaos run` "
            f"reverts them on every outcome: controls: [{{name: opsready, provider: {{type: python, module: "
            f"{CONTROL_MODULE}}}}}]",
            r.loc,
        )
    r.names()
    return Experiment(
        path, title, tuple(v.steps), tuple(v.faults), tuple(v.hypothesis), plain(data), tuple(v.detections)
    )


def load_experiment(path: Path, kinds: tuple[FaultKind, ...]) -> Experiment:
    """Read and validate an experiment file (YAML or JSON)."""
    return validate_experiment(load_yaml(path), path, kinds)
