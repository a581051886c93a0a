"""The ``gate:`` section of opsready.yaml: which gate scenarios may be skipped, and why.

A skipped gate scenario proves nothing, so it makes the gate not ready, unless this section declares the skip
expected with a reason the report shows::

    gate:
      expected_skips:
        - scenario: The hosts are in the expected state   # a scenario's name or its pytest node id
          reason: testinfra cannot reach the hosts of this target from CI
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.errors import ValidationError
from opsready.yamlsrc import MapReader


@dataclass(frozen=True)
class ExpectedSkip:
    """A gate scenario the configuration expects to be skipped, and why."""

    scenario: str  # a scenario's name or its pytest node id
    reason: str


@dataclass(frozen=True)
class GateConfig:
    """How the readiness gate judges a run: the skips it expects."""

    expected_skips: tuple[ExpectedSkip, ...] = ()

    def expected_reason(self, name: str, nodeid: str) -> str:
        """The reason configured for skipping the scenario ``name`` (node ``nodeid``), or "" when none is."""
        return next((e.reason for e in self.expected_skips if e.scenario in (name, nodeid)), "")


def _entry(reader: MapReader) -> ExpectedSkip:
    scenario, reason = reader.string("scenario").strip(), reader.string("reason").strip()
    if not scenario:
        raise ValidationError("'scenario' must name a scenario or a node id", reader.loc_of("scenario"))
    if not reason:
        raise ValidationError("'reason' must say why the skip is expected", reader.loc_of("reason"))
    reader.done()
    return ExpectedSkip(scenario, reason)


def parse_gate(r: MapReader | None) -> GateConfig:
    """Build the ``gate:`` section (absent: no skip is expected)."""
    if r is None:
        return GateConfig()
    skips: list[ExpectedSkip] = []
    for item, loc in r.items("expected_skips", []):
        entry = _entry(MapReader(item, loc, "gate.expected_skips item"))
        if any(s.scenario == entry.scenario for s in skips):
            raise ValidationError(f"'{entry.scenario}' is listed twice in gate.expected_skips", loc)
        skips.append(entry)
    r.done()
    return GateConfig(tuple(skips))
