"""Play a journey against a service: fill placeholders, send each step, check its answer, capture values, clean up.

The runner reports what it saw through a callback (one call per request, for traffic statistics) and returns a
:class:`JourneyRun` whose failure names the journey, the step, what was expected and an excerpt of the answer.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsready.profile.model import COUNTER, PLACEHOLDER, Journey, JsonValue, Step

if TYPE_CHECKING:
    import httpx

EXCERPT = 200  # characters of an answer shown in a failure
_counter = itertools.count(1)  # {n}: unique per run within the process, shared by every thread


@dataclass(frozen=True)
class Request:
    """One request as sent and answered (``status`` None: no answer, ``error`` says why)."""

    at: float
    endpoint: str
    status: int | None
    latency: float
    error: str = ""


Record = Callable[[Request], None]


def _ignore(_: Request) -> None:
    return None


@dataclass(frozen=True)
class JourneyRun:
    """How one run of a journey went: empty ``failure`` when every step answered as expected."""

    journey: str
    number: int
    failure: str = ""
    cleanup_failure: str = ""
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Every step (and the cleanup) answered as expected."""
        return not self.failure and not self.cleanup_failure


def fill(value: JsonValue, values: dict[str, object]) -> JsonValue:
    """``value`` with its placeholders replaced ("{n}" alone keeps the value's type)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole is not None:  # "{n}" alone keeps its type: a number stays a number in a JSON body
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:EXCERPT] + ("..." if len(flat) > EXCERPT else "")


def check_answer(step: Step, response: httpx.Response, values: dict[str, object]) -> tuple[str, dict[str, object]]:
    """('' or what is wrong, the values captured) for one answer to ``step``."""
    expect = step.expect
    if not expect.status_ok(response.status_code):
        return f"HTTP {response.status_code}, expected {expect.describe_status()}", {}
    wanted_text = str(fill(expect.contains, values))
    if expect.contains and wanted_text not in response.text:
        return f"the answer does not contain '{wanted_text}'", {}
    document: JsonValue = None
    if expect.present or expect.equals or step.capture:
        try:
            document = response.json()
        except ValueError:
            return "the answer is not JSON", {}
    for path in expect.present:
        if not path.find(document)[0]:
            return f"JSON path '{path.text}' matches nothing", {}
    for path, written in expect.equals:
        found, value = path.find(document)
        wanted = fill(written, values)
        if not found:
            return f"JSON path '{path.text}' matches nothing (expected {wanted!r})", {}
        if value != wanted and str(value) != str(wanted):
            return f"JSON path '{path.text}' is {value!r}, expected {wanted!r}", {}
    captured: dict[str, object] = {}
    for name, path in step.capture:
        found, value = path.find(document)
        if not found:
            return f"JSON path '{path.text}' (to capture '{name}') matches nothing", {}
        captured[name] = value
    return "", captured


def _send(client: httpx.Client, step: Step, values: dict[str, object], record: Record) -> tuple[str, dict[str, object]]:
    import httpx

    path = str(fill(step.path, values))
    body = fill(step.body, values) if step.body is not None else None
    start = time.monotonic()
    try:
        response = (
            client.request(step.method, path, json=body) if body is not None else client.request(step.method, path)
        )
    except httpx.HTTPError as exc:
        record(Request(start, step.endpoint, None, time.monotonic() - start, type(exc).__name__))
        return f"{step.method} {path}: no answer ({type(exc).__name__}: {exc})"[:300], {}
    record(Request(start, step.endpoint, response.status_code, time.monotonic() - start))
    problem, captured = check_answer(step, response, values)
    if problem:
        return f"{step.method} {path}: {problem}; answer: {_excerpt(response.text)!r}", {}
    return "", captured


def run_journey(
    client: httpx.Client, journey: Journey, record: Record = _ignore, number: int | None = None
) -> JourneyRun:
    """Send every step of ``journey`` in order (stopping at the first failure), then its cleanup."""
    n = next(_counter) if number is None else number
    values: dict[str, object] = {COUNTER: n}
    failure = ""
    sent = 0
    for index, step in enumerate(journey.steps, start=1):
        sent += 1
        problem, captured = _send(client, step, values, record)
        if problem:
            failure = f"journey '{journey.name}' step {index} ({step.loc}): {problem}"
            break
        values.update(captured)
    cleanup_failure = ""
    for step in journey.cleanup:
        if any(name not in values for name in PLACEHOLDER.findall(json.dumps([step.path, step.body]))):
            continue  # what it would undo was never written
        sent += 1
        problem, _ = _send(client, step, values, record)
        if problem and not cleanup_failure:
            cleanup_failure = f"journey '{journey.name}' cleanup ({step.loc}): {problem}"
    return JourneyRun(journey.name, n, failure, cleanup_failure, sent)
