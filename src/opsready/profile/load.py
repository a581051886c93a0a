"""Read a service profile (YAML) into a :class:`~opsready.profile.model.Profile`, every mistake at its line.

The format is documented in docs/profile.md; ``profiles/orders.yaml`` is the sandbox's.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from opsready.config import Config
from opsready.errors import ConfigError, Loc, ValidationError
from opsready.profile.model import (
    COUNTER,
    METHODS,
    PLACEHOLDER,
    Backlog,
    DataCheck,
    Endpoints,
    Expect,
    Journey,
    JsonPath,
    Metrics,
    Profile,
    Smoke,
    SqlCheck,
    Step,
    builtin_profile,
)
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml


def _json_path(text: object, loc: Loc) -> JsonPath:
    if not isinstance(text, str):
        raise ValidationError(f"a JSON path must be a string like 'items[0].id', got {text!r}", loc)
    try:
        return JsonPath.parse(text)
    except ValueError as exc:
        raise ValidationError(str(exc), loc) from None


def _endpoint_path(r: MapReader, key: str, default: Any) -> Any:
    value = r.string(key, default)
    if isinstance(value, str) and value and not value.startswith("/"):
        raise ValidationError(f"'{key}' must be a path starting with '/', got '{value}'", r.loc_of(key))
    return value


def _placeholders(value: object) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_placeholders(v) for v in value)) if value else set()
    return set()


def _expect(r: MapReader | None) -> Expect:
    if r is None:
        return Expect()
    status = r.raw("status", None)
    statuses: tuple[int, ...] = ()
    if status is not None:
        items = status if isinstance(status, list) else [status]
        if not all(isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in items) or not items:
            raise ValidationError(
                f"'status' must be an HTTP status (100-599) or a list of them, got {status!r}", r.loc_of("status")
            )
        statuses = tuple(items)
    present: list[JsonPath] = []
    equals: list[tuple[JsonPath, object]] = []
    json = r.raw("json", None)
    if isinstance(json, dict):
        for key, value in json.items():
            equals.append((_json_path(key, r.loc_of("json")), value))
    elif isinstance(json, list):
        present.extend(_json_path(item, r.loc_of("json")) for item in json)
    elif json is not None:
        present.append(_json_path(json, r.loc_of("json")))
    expect = Expect(statuses, tuple(present), tuple(equals), r.string("contains", ""))
    r.done()
    return expect


def _step(item: object, loc: Loc, known: set[str], what: str) -> tuple[Step, set[str]]:
    r = MapReader(item, loc, what)
    request = r.string("request")
    method, _, path = str(request).strip().partition(" ")
    path = path.strip()
    if method.upper() not in METHODS:
        raise ValidationError(
            f"'{method}' is not an HTTP method{did_you_mean(method.upper(), METHODS)} "
            f"(write the request like 'GET /items'; methods: {', '.join(METHODS)})",
            r.loc_of("request"),
        )
    if not path.startswith("/"):
        raise ValidationError(f"the request's path must start with '/': '{request}'", r.loc_of("request"))
    body = r.raw("json", None)
    capture_map = r.optional_map("capture")
    captures: list[tuple[str, JsonPath]] = []
    if capture_map is not None:
        for name in capture_map.names():
            if not PLACEHOLDER.fullmatch("{" + name + "}") or name == COUNTER:
                raise ValidationError(
                    f"cannot capture into '{name}' (a name like order_id; 'n' is the counter)", capture_map.loc_of(name)
                )
            captures.append((name, _json_path(capture_map.data[name], capture_map.loc_of(name))))
    for key, where in (("request", path), ("json", body)):
        for name in sorted(_placeholders(where) - known - {COUNTER}):
            raise ValidationError(
                f"'{{{name}}}' is not captured by an earlier step{did_you_mean(name, sorted(known))} "
                f"(placeholders: {{n}}, the run's number, or a name an earlier step captures)",
                r.loc_of(key),
            )
    step = Step(
        method=method.upper(),  # type: ignore[arg-type]  # checked against METHODS above
        path=path,
        loc=r.loc_of("request"),
        body=body,
        expect=_expect(r.optional_map("expect")),
        capture=tuple(captures),
        name=r.string("name", ""),
    )
    r.done()
    return step, {name for name, _ in captures}


def _steps(r: MapReader, key: str, known: set[str], journey: str) -> tuple[tuple[Step, ...], set[str]]:
    steps: list[Step] = []
    for i, (item, loc) in enumerate(r.items(key, [])):
        step, captured = _step(item, loc, known, f"journeys.{journey}.{key}[{i + 1}]")
        steps.append(step)
        known = known | captured
    return tuple(steps), known


def _journey(name: str, r: MapReader) -> Journey:
    steps, captured = _steps(r, "steps", set(), name)
    if not steps:
        raise ValidationError(f"journey '{name}' has no steps", r.loc_of("steps"))
    cleanup, _ = _steps(r, "cleanup", captured, name)
    inferred = any(s.writes for s in steps)
    journey = Journey(
        name=name,
        steps=steps,
        loc=r.loc,
        weight=r.integer("weight", 1, minimum=0),
        writes=r.flag("writes", inferred),
        cleanup=cleanup,
        on_real_targets=r.flag("on_real_targets", False),
    )
    r.done()
    return journey


def _smoke(r: MapReader | None, journeys: tuple[Journey, ...]) -> Smoke:
    names = [j.name for j in journeys]
    if r is None:
        return Smoke(tuple(names))
    chosen = r.str_list("journeys", tuple(names))
    for name in chosen:
        if name not in names:
            raise ValidationError(f"smoke: unknown journey '{name}'{did_you_mean(name, names)}", r.loc_of("journeys"))
    if not chosen:
        raise ValidationError("smoke: 'journeys' must name at least one journey", r.loc_of("journeys"))
    smoke = Smoke(chosen, r.integer("runs", 1, minimum=1), r.duration("timeout", 3.0))
    r.done()
    return smoke


def _data(r: MapReader | None) -> DataCheck | None:
    if r is None:
        return None
    sql_map = r.optional_map("sql")
    endpoint = _endpoint_path(r, "endpoint", "")
    if (sql_map is None) == (not endpoint):
        raise ValidationError("data: give either 'endpoint' (with JSON paths) or 'sql', exactly one", r.loc)
    watermark = _json_path(r.raw("watermark"), r.loc_of("watermark")) if r.has("watermark") else None
    sql = None
    if sql_map is not None:
        sql = SqlCheck(sql_map.string("query"), sql_map.string("url_env"), sql_map.loc)
        if ":watermark" not in sql.query and r.has("watermark"):
            raise ValidationError("data.sql: a watermark needs ':watermark' in the query", sql_map.loc_of("query"))
        sql_map.done()
        check = DataCheck(r.loc, sql=sql, watermark=watermark)
    else:
        check = DataCheck(
            r.loc,
            endpoint=endpoint,
            count=_json_path(r.raw("count"), r.loc_of("count")),
            checksum=_json_path(r.raw("checksum"), r.loc_of("checksum")),
            watermark=watermark,
            watermark_param=r.string("watermark_param", ""),
        )
        if (watermark is None) != (not check.watermark_param):
            where = r.loc_of("watermark" if watermark is not None else "watermark_param")
            raise ValidationError("data: 'watermark' and 'watermark_param' go together", where)
    r.done()
    return check


def _endpoints(r: MapReader | None) -> Endpoints:
    if r is None:
        return Endpoints()
    d = Endpoints()
    field = r.raw("version_field", None)
    endpoints = Endpoints(
        health=_endpoint_path(r, "health", d.health),
        readiness=_endpoint_path(r, "readiness", d.readiness),
        version=_endpoint_path(r, "version", d.version),
        version_field=_json_path(field, r.loc_of("version_field")) if field is not None else d.version_field,
        page=_endpoint_path(r, "page", d.page),
        database_page=_endpoint_path(r, "database_page", d.database_page),
    )
    r.done()
    return endpoints


def _backlog(r: MapReader | None) -> Backlog | None:
    if r is None:
        return None
    backlog = Backlog(
        endpoint=_endpoint_path(r, "endpoint", None),
        pending=_json_path(r.raw("pending"), r.loc_of("pending")),
        oldest_age=_json_path(r.raw("oldest_age"), r.loc_of("oldest_age")),
    )
    r.done()
    return backlog


def _metrics(r: MapReader | None) -> Metrics | None:
    if r is None:
        return None
    d = Metrics()
    metrics = Metrics(
        requests=r.string("requests", ""),
        duration=r.string("duration", ""),
        endpoint_label=r.string("endpoint_label", d.endpoint_label),
        status_label=r.string("status_label", d.status_label),
    )
    r.done()
    return metrics


def parse_profile(data: object, path: Path) -> Profile:
    """Build a :class:`Profile` from parsed YAML, validating every field."""
    r = MapReader(data, Loc(str(path), 1), "profile")
    version = r.integer("version", 1)
    if version != 1:
        raise ValidationError(
            f"unsupported profile version {version} (this opsready reads version 1)", r.loc_of("version")
        )
    section = r.map("journeys")
    journeys = tuple(_journey(n, section.map(n, f"journeys.{n}")) for n in section.names())
    if not journeys:
        raise ValidationError("'journeys' must define at least one journey", r.loc_of("journeys"))
    profile = Profile(
        path=path,
        service=r.string("service", path.stem),
        journeys=journeys,
        smoke=_smoke(r.optional_map("smoke"), journeys),
        endpoints=_endpoints(r.optional_map("endpoints")),
        data=_data(r.optional_map("data")),
        backlog=_backlog(r.optional_map("backlog")),
        metrics=_metrics(r.optional_map("metrics")),
    )
    r.done()
    return profile


def load_profile(path: Path) -> Profile:
    """Read and validate a profile file."""
    return parse_profile(load_yaml(path), path)


@functools.lru_cache(maxsize=16)
def _cached(path: Path, mtime_ns: int) -> Profile:
    return load_profile(path)


def profile_for(config: Config, target: str | None = None) -> Profile:
    """The profile a target uses (its own, else the suite's, else the built-in one); a bad one is a ConfigError."""
    named = config.profile_of(target)
    if named is None:
        return builtin_profile()
    path, loc = named
    if not path.is_file():
        raise ConfigError(f"profile '{path}' does not exist", loc, "write one (docs/profile.md) or fix the path")
    try:
        return _cached(path, path.stat().st_mtime_ns)
    except ValidationError as exc:
        raise ConfigError(exc.message, exc.loc, exc.hint) from None
