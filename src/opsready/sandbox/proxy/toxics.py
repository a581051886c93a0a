"""The fault model of the sandbox's TCP proxies: toxics (like toxiproxy's) and the state file that lists them.

A toxic is one fault. ``toxicity`` is the probability that it applies to a given connection, decided once per
connection and toxic. Directions name the flow of data: ``upstream`` is client -> server, ``downstream`` is
server -> client. Every toxic validates itself on construction, so an out-of-range toxic cannot exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader

Direction = Literal["upstream", "downstream", "both"]
DIRECTIONS: tuple[Direction, ...] = ("upstream", "downstream", "both")
MAX_LATENCY_MS = 600_000
_T = TypeVar("_T")
_LABELS: dict[type, str] = {float: "a number", str: "a string", bool: "true or false"}


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValidationError(message)


def read_int(reader: MapReader, key: str, default: int | None = None, minimum: int = 0) -> int:
    """An integer field of at least ``minimum``; required when ``default`` is None."""
    value = reader.raw(key) if default is None else reader.raw(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{reader.what}: '{key}' must be an integer, got {value!r}", reader.loc_of(key))
    if value < minimum:
        raise ValidationError(f"{reader.what}: '{key}' must be at least {minimum}, got {value}", reader.loc_of(key))
    return value


def read_typed(reader: MapReader, key: str, kind: type[_T], default: _T) -> _T:
    """An optional field of exactly one type (bool is not taken for int or float; int is taken for float)."""
    value = reader.raw(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        label = _LABELS.get(kind, kind.__name__)
        raise ValidationError(f"{reader.what}: '{key}' must be {label}, got {value!r}", reader.loc_of(key))
    return value


def _check_toxicity(kind: str, toxicity: float) -> None:
    _check(0.0 <= toxicity <= 1.0, f"{kind}: toxicity must be between 0 and 1, got {toxicity}")


@dataclass(frozen=True)
class LatencyToxic:
    """Delay data flowing in ``direction`` by ``latency_ms`` ± ``jitter_ms`` (uniform), keeping byte order."""

    kind: ClassVar[str] = "latency"
    latency_ms: int
    jitter_ms: int = 0
    direction: Direction = "downstream"
    toxicity: float = 1.0

    def __post_init__(self) -> None:
        _check(0 <= self.latency_ms <= MAX_LATENCY_MS, f"latency: latency_ms must be 0..{MAX_LATENCY_MS}")
        _check(0 <= self.jitter_ms <= MAX_LATENCY_MS, f"latency: jitter_ms must be 0..{MAX_LATENCY_MS}")
        _check(self.direction in DIRECTIONS, f"latency: direction must be one of {', '.join(DIRECTIONS)}")
        _check_toxicity(self.kind, self.toxicity)


@dataclass(frozen=True)
class BandwidthToxic:
    """Limit data flowing in ``direction`` to ``rate_kbps`` kilobytes (1000 bytes) per second, like toxiproxy."""

    kind: ClassVar[str] = "bandwidth"
    rate_kbps: int
    direction: Direction = "downstream"
    toxicity: float = 1.0

    def __post_init__(self) -> None:
        _check(self.rate_kbps >= 1, f"bandwidth: rate_kbps must be at least 1, got {self.rate_kbps}")
        _check(self.direction in DIRECTIONS, f"bandwidth: direction must be one of {', '.join(DIRECTIONS)}")
        _check_toxicity(self.kind, self.toxicity)


@dataclass(frozen=True)
class ResetToxic:
    """Reset connections (RST through SO_LINGER 0): new ones on accept, existing ones when applied."""

    kind: ClassVar[str] = "reset"
    toxicity: float = 1.0

    def __post_init__(self) -> None:
        _check_toxicity(self.kind, self.toxicity)


@dataclass(frozen=True)
class TimeoutToxic:
    """Blackhole: accept, drop all data, never close; when removed, the blackholed connections are closed."""

    kind: ClassVar[str] = "timeout"
    toxicity: float = 1.0

    def __post_init__(self) -> None:
        _check_toxicity(self.kind, self.toxicity)


@dataclass(frozen=True)
class DownToxic:
    """Stop listening (connection refused) and close every connection; removing it listens again on the same port."""

    kind: ClassVar[str] = "down"
    toxicity: float = 1.0

    def __post_init__(self) -> None:
        # The listener is one thing, not one per connection: a probability would mean nothing here.
        _check(self.toxicity == 1.0, f"down: toxicity must be 1.0 (it stops the listener), got {self.toxicity}")


Toxic = LatencyToxic | BandwidthToxic | ResetToxic | TimeoutToxic | DownToxic
TOXIC_KINDS: dict[str, type[Toxic]] = {
    cls.kind: cls for cls in (LatencyToxic, BandwidthToxic, ResetToxic, TimeoutToxic, DownToxic)
}


def _build(reader: MapReader, kind: str) -> Toxic:
    toxicity = read_typed(reader, "toxicity", float, 1.0)
    if kind == "latency":
        return LatencyToxic(
            latency_ms=read_int(reader, "latency_ms"),
            jitter_ms=read_int(reader, "jitter_ms", 0),
            direction=reader.choice("direction", DIRECTIONS, "downstream"),
            toxicity=toxicity,
        )
    if kind == "bandwidth":
        return BandwidthToxic(
            rate_kbps=read_int(reader, "rate_kbps", minimum=1),
            direction=reader.choice("direction", DIRECTIONS, "downstream"),
            toxicity=toxicity,
        )
    if kind == "reset":
        return ResetToxic(toxicity=toxicity)
    if kind == "timeout":
        return TimeoutToxic(toxicity=toxicity)
    return DownToxic(toxicity=toxicity)


def parse_toxic(mapping: object, loc: Loc, what: str = "toxic") -> Toxic:
    """Build one toxic from its mapping (``{"kind": ..., fields}``); mistakes are a ValidationError at ``loc``."""
    reader = MapReader(mapping, loc, what)
    if not reader.has("kind"):
        raise ValidationError(f"{what}: missing required key 'kind' (one of: {', '.join(TOXIC_KINDS)})", reader.loc)
    kind = read_typed(reader, "kind", str, "")
    if kind not in TOXIC_KINDS:
        raise ValidationError(
            f"{what}: unknown kind '{kind}'{did_you_mean(kind, tuple(TOXIC_KINDS))}"
            f" (expected one of: {', '.join(TOXIC_KINDS)})",
            reader.loc_of("kind"),
        )
    try:
        toxic = _build(reader, kind)
    except ValidationError as exc:
        if exc.loc is not None:
            raise
        raise ValidationError(f"{what}: {exc.message}", reader.loc) from None
    reader.done()
    return toxic


def toxic_to_dict(toxic: Toxic) -> dict[str, object]:
    """The toxic as written in a state file: ``{"kind": ..., fields}``."""
    out: dict[str, object] = {"kind": toxic.kind}
    out.update(vars(toxic))
    return out


def describe(toxics: tuple[Toxic, ...]) -> str:
    """A one-line human description of a set of toxics ('pass-through' when empty)."""
    if not toxics:
        return "pass-through"
    parts = []
    for toxic in toxics:
        fields = ", ".join(f"{k}={v}" for k, v in vars(toxic).items())
        parts.append(f"{toxic.kind}({fields})")
    return "; ".join(parts)


@dataclass(frozen=True)
class ProxyState:
    """The wanted fault state of one proxy: a generation counter and the toxics to apply."""

    generation: int = 0
    toxics: tuple[Toxic, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: object, loc: Loc) -> ProxyState:
        """Build from a state file's JSON; mistakes are a ValidationError at ``loc``."""
        reader = MapReader(data, loc, "proxy state")
        generation = read_int(reader, "generation", 0)
        toxics = tuple(
            parse_toxic(item, item_loc, f"toxics[{i}]") for i, (item, item_loc) in enumerate(reader.items("toxics", []))
        )
        reader.done()
        return cls(generation=generation, toxics=toxics)

    def to_dict(self) -> dict[str, object]:
        """The state as written in the state file."""
        return {"generation": self.generation, "toxics": [toxic_to_dict(t) for t in self.toxics]}
