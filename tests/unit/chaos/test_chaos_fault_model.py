"""The platform-neutral fault model: specs validated against a kind's schema, and read back from a journal."""

from __future__ import annotations

import pytest

from opsready.errors import Loc, UsageError, ValidationError
from opsready.sandbox.faults.catalog import kinds
from opsready.targets.faults import FaultSpec, faults_of, parse_fault_spec, revalidate

KINDS = kinds(postgresql=True)
HERE = Loc("x.yaml", 7)


def test_defaults_are_filled_in_and_values_typed() -> None:
    """Durations, percentages and choices are read into seconds, fractions and strings; defaults complete the spec."""
    spec = parse_fault_spec(
        KINDS, "network-latency", {"proxy": "db", "latency": "250ms", "toxicity": "50%"}, "2m", HERE
    )
    assert spec == FaultSpec(
        "network-latency",
        (("proxy", "db"), ("latency", 0.25), ("jitter", 0.0), ("direction", "downstream"), ("toxicity", 0.5)),
        120.0,
    )
    assert spec.describe() == (
        "network-latency proxy=db, latency=0.25, jitter=0, direction=downstream, toxicity=0.5 (time limit 120 s)"
    )


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("network-latency", {"proxy": "edge"}, "missing required key 'latency'"),
        ("network-latency", {"proxy": "edge", "latency": "2 minutes"}, "'latency' must be between 0.001 and 60"),
        ("network-reset", {"proxy": "edge", "toxicity": "150%"}, "expected a percentage"),
        ("network-bandwidth", {"proxy": "edge", "rate_kbps": 0}, "'rate_kbps' must be between 1 and 1000000"),
        ("memory-pressure", {"share": "80%"}, "'share' must be between 0 and 0.5"),
        ("bad-release", {"release": "1.1.0"}, r"'release' must be one of .*1\.3\.0-errors"),
        ("db-stop", {"now": True}, "unknown key 'now'"),
        ("db-stop", [1], "must be a mapping"),
    ],
)
def test_bad_parameters_are_refused(kind: str, params: object, message: str) -> None:
    """Every parameter is checked against its schema (kind, bounds, choices, unknown names)."""
    with pytest.raises(ValidationError, match=message):
        parse_fault_spec(KINDS, kind, params, None, HERE)


def test_unknown_kind_names_the_known_ones() -> None:
    """A typo gets a suggestion and the list of what the target offers."""
    with pytest.raises(ValidationError, match=r"unknown fault kind 'db-stp' \(did you mean 'db-stop'\?\).*bad-release"):
        parse_fault_spec(KINDS, "db-stp", None, None, HERE)


def test_sqlite_sandboxes_offer_no_database_faults() -> None:
    """Without PostgreSQL there is no db proxy and no database fault to inject."""
    names = {k.name for k in kinds(postgresql=False)}
    assert not {"db-stop", "db-lock", "db-connections"} & names
    proxy = next(k for k in kinds(postgresql=False) if k.name == "network-down").param("proxy")
    assert proxy is not None and proxy.choices == ("edge",)


def test_specs_round_trip_through_a_journal() -> None:
    """What the journal stores is what revalidation reads back; a spec the target no longer accepts is refused."""
    spec = parse_fault_spec(KINDS, "process-pause", {"service": "api"}, "30s", HERE)
    assert revalidate(KINDS, FaultSpec.from_json(spec.to_json()), "j:3") == spec
    with pytest.raises(ValueError, match="'kind'"):
        FaultSpec.from_json({"params": {}})
    with pytest.raises(ValidationError, match="unknown fault kind"):
        revalidate(kinds(postgresql=False), FaultSpec("db-stop"), "j:4")


def test_a_target_without_faults_is_named() -> None:
    """Asking a platform that has no fault support is a usage error naming the platform."""

    class Other:
        platform = "kubernetes"

    with pytest.raises(UsageError, match="not supported on platform 'kubernetes'"):
        faults_of(Other())
