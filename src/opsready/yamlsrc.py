"""YAML input that remembers where each value came from, and a typed reader that reports mistakes as ``path:line``.

Every input file (opsready.yaml, checklists, runbook front matter, experiments, plans) is read through
:func:`load_yaml` and turned into frozen dataclasses with :class:`MapReader`, so a wrong key, a wrong type or a bad
duration is reported at the line where it was written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml

from opsready.durations import parse_duration
from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.textfile import read_text

T = TypeVar("T")
_MISSING: Any = object()


class YamlMap(dict[str, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class YamlList(list[Any]):
    """A sequence read from YAML, with the line of the sequence and of each item."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences carry line numbers."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:  # e.g. 2026-13-40: PyYAML raises a plain ValueError without a position
        raise yaml.constructor.ConstructorError(
            None, None, f"bad date '{node.value}': {exc}", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def parse_yaml(text: str, path: str, first_line: int = 1) -> Any:
    """Parse YAML text; syntax errors become a :class:`ValidationError` at the failing line."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark is not None else 0
        last = len(text.rstrip().splitlines()) + first_line - 1
        line = min(line, last)  # "found <stream end>": point at the last written line (an unclosed bracket)
        raise ValidationError(f"invalid YAML: {exc.problem or exc}", Loc(path, line)) from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"invalid YAML: {exc}", Loc(path)) from None
    except ValueError as exc:  # PyYAML lets e.g. an impossible date (2026-13-40) escape as a plain ValueError
        raise ValidationError(f"invalid value: {exc}", Loc(path)) from None
    if first_line != 1:
        _shift_lines(data, first_line - 1)
    return data


def _shift_lines(data: Any, offset: int) -> None:
    if isinstance(data, YamlMap):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, YamlList):
        data.line += offset
        data.item_lines = [v + offset for v in data.item_lines]
        for value in data:
            _shift_lines(value, offset)


def load_yaml(path: Path | str) -> Any:
    """Read and parse a YAML file; a missing or unreadable file is a :class:`UserError` naming it."""
    p = Path(path)
    return parse_yaml(read_text(p), str(p))


def _type_name(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


class MapReader:
    """Read typed fields out of one YAML mapping, reporting every mistake at its line."""

    def __init__(self, data: object, loc: Loc, what: str) -> None:
        if not isinstance(data, dict):
            raise ValidationError(f"{what} must be a mapping, got {_type_name(data)}", loc)
        self.data: dict[str, Any] = data
        self.path = loc.path
        self.loc = Loc(loc.path, getattr(data, "line", 0) or loc.line)
        self.what = what
        self._seen: set[str] = set()

    def loc_of(self, key: str) -> Loc:
        """Where ``key`` was written (or the mapping itself when it was not)."""
        lines = getattr(self.data, "key_lines", {})
        return Loc(self.path, lines.get(key, self.loc.line))

    def value_loc(self, key: str) -> Loc:
        """Where the value of ``key`` starts (its own mapping or list line when it has one)."""
        value = self.data.get(key)
        line = getattr(value, "line", 0)
        return Loc(self.path, line) if line else self.loc_of(key)

    def has(self, key: str) -> bool:
        """Whether ``key`` was written."""
        return key in self.data

    def names(self) -> list[str]:
        """The keys as written (marks them all as seen)."""
        self._seen.update(self.data)
        return list(self.data)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key`` untyped; required unless a default is given."""
        self._seen.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise ValidationError(f"{self.what}: missing required key '{key}'", self.loc)
            return default
        return self.data[key]

    def _typed(self, key: str, kinds: tuple[type, ...], label: str, default: Any) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) and bool not in kinds:
            raise ValidationError(f"'{key}' must be {label}, got {_type_name(value)}", self.loc_of(key))
        if not isinstance(value, kinds):
            raise ValidationError(f"'{key}' must be {label}, got {_type_name(value)}", self.loc_of(key))
        return value

    def string(self, key: str, default: Any = _MISSING) -> Any:
        """A string field."""
        return self._typed(key, (str,), "a string", default)

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        """An integer field, optionally with a lower bound."""
        value = self._typed(key, (int,), "an integer", default)
        if minimum is not None and isinstance(value, int) and value < minimum:
            raise ValidationError(f"'{key}' must be at least {minimum}, got {value}", self.loc_of(key))
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        """An int or float field, as float."""
        value = self._typed(key, (int, float), "a number", default)
        return float(value) if isinstance(value, int | float) else value

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        """A boolean field."""
        return self._typed(key, (bool,), "true or false", default)

    def duration(self, key: str, default: Any = _MISSING) -> Any:
        """A duration field ('5 minutes', '300ms', 90) in seconds."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return parse_duration(value, self.loc_of(key))

    def percent(self, key: str, default: Any = _MISSING) -> Any:
        """A ratio field written as '5%' or 0.05, returned as a fraction."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return parse_percent(value, self.loc_of(key))

    def str_list(self, key: str, default: Any = _MISSING) -> Any:
        """A list of strings."""
        value = self._typed(key, (list,), "a list", default)
        if value is default and default is not _MISSING:
            return value
        for item in value:
            if not isinstance(item, str):
                raise ValidationError(f"'{key}' items must be strings, got {_type_name(item)}", self.loc_of(key))
        return tuple(value)

    def map(self, key: str, what: str | None = None) -> MapReader:
        """A nested mapping field (required)."""
        return MapReader(self.raw(key), self.value_loc(key), what or f"'{key}'")

    def optional_map(self, key: str, what: str | None = None) -> MapReader | None:
        """A nested mapping field, or None when absent."""
        if key not in self.data or self.data[key] is None:
            self._seen.add(key)
            return None
        return self.map(key, what)

    def items(self, key: str, default: Any = _MISSING) -> Iterator[tuple[Any, Loc]]:
        """The items of a list field with the line of each."""
        value = self._typed(key, (list,), "a list", default)
        if value is default and default is not _MISSING:
            return
        lines = getattr(value, "item_lines", [])
        for i, item in enumerate(value):
            yield item, Loc(self.path, lines[i] if i < len(lines) else self.loc_of(key).line)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> Any:
        """A string that must be one of ``choices``."""
        value = self.string(key, default)
        if value not in choices:
            raise ValidationError(
                f"'{key}' must be one of {', '.join(choices)}; got '{value}'{did_you_mean(str(value), choices)}",
                self.loc_of(key),
            )
        return value

    def done(self) -> None:
        """Reject keys that no reader asked for: a misspelt key must not be ignored silently."""
        for key in self.data:
            if key not in self._seen:
                expected = sorted(self._seen)
                hint = did_you_mean(key, expected) or (f" (expected one of: {', '.join(expected)})" if expected else "")
                raise ValidationError(f"{self.what}: unknown key '{key}'{hint}", self.loc_of(key))


def parse_percent(value: object, loc: Loc) -> float:
    """'5%' or '0.5 %' or 0.05 -> 0.05; anything else is a :class:`ValidationError` at ``loc``."""
    if isinstance(value, bool):
        raise ValidationError(f"expected a percentage like '5%', got {value!r}", loc)
    if isinstance(value, int | float):
        if not 0 <= value <= 1:
            raise ValidationError(f"a bare ratio must be between 0 and 1 (write '{value}%' for percent)", loc)
        return float(value)
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1].strip())
        except ValueError:
            number = -1.0
        if 0 <= number <= 100:
            return number / 100
    raise ValidationError(f"expected a percentage like '5%', got {value!r}", loc)


def build_all(reader: MapReader, key: str, build: Callable[[str, MapReader], T]) -> tuple[T, ...]:
    """Build one object per entry of a mapping-of-mappings field (``name: {...}``)."""
    section = reader.map(key)
    return tuple(build(name, section.map(name, f"{key}.{name}")) for name in section.names())
