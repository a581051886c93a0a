"""What a locust subprocess leaves behind, read back as typed data.

* ``stats.json`` (``--json-file stats``): locust writes it once, at shutdown (end of ``--run-time`` or SIGTERM; a
  SIGKILLed locust writes nothing). It is a list of entries per endpoint; opsready reads ``method``, ``name``,
  ``num_requests`` and ``num_failures`` to check its own per-request samples against locust's counts (latency comes
  from the samples, which are exact, not from locust's rounded histogram).
* ``samples-<pid>.csv``: one line per request, ``start,end,name,response_ms,failed`` (wall clock), appended by the
  locustfile's request hook in every locust process and flushed every half second, so they can be read while the
  load runs and survive a hard stop up to the last flush; ``#stopping,<time>`` marks when users were told to stop
  (with ``--stop-timeout`` they finish the request in flight, so every request started before it is recorded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from opsready.capacity.results import RequestSample
from opsready.errors import TargetError

JSON_STEM = "stats"


@dataclass(frozen=True)
class LocustEntry:
    """One endpoint of locust's own summary."""

    method: str
    name: str
    requests: int
    failures: int

    @property
    def endpoint(self) -> str:
        """'GET /products', as the samples name it."""
        return f"{self.method} {self.name}"


def read_locust_json(path: Path) -> tuple[LocustEntry, ...]:
    """Parse locust's ``--json-file`` output; a missing or malformed file is a :class:`TargetError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"locust wrote no statistics ({path} is missing): was it killed?") from None
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot read locust statistics {path}: {exc}") from None
    if not isinstance(data, list):
        raise TargetError(f"unexpected locust statistics in {path}: expected a list of entries")
    entries = []
    try:
        for item in data:
            entries.append(
                LocustEntry(
                    method=str(item["method"]),
                    name=str(item["name"]),
                    requests=int(item["num_requests"]),
                    failures=int(item["num_failures"]),
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise TargetError(f"unexpected locust statistics in {path}: {type(exc).__name__}: {exc}") from None
    return tuple(entries)


class SampleReader:
    """Reads the per-request sample files of a run incrementally (complete lines only), while locust writes them."""

    def __init__(self, directory: Path, wall_to_mono: float) -> None:
        self.directory = directory
        self.offset = wall_to_mono  # monotonic = wall + offset
        self._positions: dict[Path, int] = {}
        self._samples: list[RequestSample] = []
        self.stops: list[float] = []  # when users were told to stop (monotonic), one per locust process
        self.malformed = 0

    def read(self) -> list[RequestSample]:
        """Every sample written so far (new lines are parsed once)."""
        for path in sorted(self.directory.glob("samples-*.csv")):
            position = self._positions.get(path, 0)
            try:
                with path.open("rb") as fh:
                    fh.seek(position)
                    chunk = fh.read()
            except OSError:
                continue
            complete = chunk.rfind(b"\n") + 1
            self._positions[path] = position + complete
            for line in chunk[:complete].decode("utf-8", errors="replace").splitlines():
                sample = self._parse(line)
                if sample is not None:
                    self._samples.append(sample)
        return self._samples

    def _parse(self, line: str) -> RequestSample | None:
        if line.startswith("#stopping,"):
            try:
                self.stops.append(float(line.split(",", 1)[1]) + self.offset)
            except ValueError:
                self.malformed += 1
            return None
        head = line.split(",", 2)
        tail = head[-1].rsplit(",", 2)
        if len(head) != 3 or len(tail) != 3:  # an endpoint name may itself hold commas
            self.malformed += 1
            return None
        try:
            start, end, ms = float(head[0]), float(head[1]), float(tail[1])
        except ValueError:
            self.malformed += 1
            return None
        return RequestSample(start + self.offset, end + self.offset, tail[0], ms / 1000, tail[2].strip() == "1")
