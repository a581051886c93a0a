"""The fault model: parsing and validating toxics, combining them, and deciding per connection."""

from __future__ import annotations

import random

import pytest

from opsready.errors import Loc, ValidationError
from opsready.sandbox.proxy.link import Effects, decide
from opsready.sandbox.proxy.toxics import (
    BandwidthToxic,
    DownToxic,
    LatencyToxic,
    ProxyState,
    ResetToxic,
    TimeoutToxic,
    parse_toxic,
)

LOC = Loc("proxies/edge.json")


def test_parse_applies_defaults_and_round_trips_through_the_state_format() -> None:
    """Omitted fields take their documented defaults, and to_dict/from_dict give back the same state."""
    toxic = parse_toxic({"kind": "latency", "latency_ms": 200}, LOC)
    assert toxic == LatencyToxic(latency_ms=200, jitter_ms=0, direction="downstream", toxicity=1.0)
    state = ProxyState(
        generation=3,
        toxics=(toxic, BandwidthToxic(64, "both", 0.5), ResetToxic(), TimeoutToxic(0.25), DownToxic()),
    )
    assert ProxyState.from_dict(state.to_dict(), LOC) == state
    assert state.to_dict()["toxics"][0] == {  # type: ignore[index]
        "kind": "latency",
        "latency_ms": 200,
        "jitter_ms": 0,
        "direction": "downstream",
        "toxicity": 1.0,
    }


def test_integer_toxicity_is_taken_as_a_probability() -> None:
    """JSON writers may write 1 rather than 1.0."""
    assert parse_toxic({"kind": "reset", "toxicity": 1}, LOC) == ResetToxic(1.0)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"kind": "latncy", "latency_ms": 1}, "unknown kind 'latncy' (did you mean 'latency'?)"),
        ({"latency_ms": 1}, "missing required key 'kind'"),
        ({"kind": "latency", "latency_ms": 1, "jiter_ms": 2}, "unknown key 'jiter_ms'"),
        ({"kind": "latency"}, "missing required key 'latency_ms'"),
        ({"kind": "latency", "latency_ms": -1}, "'latency_ms' must be at least 0"),
        ({"kind": "latency", "latency_ms": True}, "'latency_ms' must be an integer"),
        ({"kind": "latency", "latency_ms": 10**9}, "latency_ms must be 0..600000"),
        ({"kind": "latency", "latency_ms": 1, "direction": "sideways"}, "'direction' must be one of"),
        ({"kind": "bandwidth", "rate_kbps": 0}, "'rate_kbps' must be at least 1"),
        ({"kind": "reset", "toxicity": 1.5}, "toxicity must be between 0 and 1"),
        ({"kind": "timeout", "toxicity": "half"}, "'toxicity' must be a number"),
        ({"kind": "down", "toxicity": 0.5}, "down: toxicity must be 1.0"),
        (["latency"], "must be a mapping"),
    ],
)
def test_invalid_toxics_are_rejected_with_a_located_message(mapping: object, message: str) -> None:
    """Unknown kinds and fields, wrong types and out-of-range values are ValidationErrors naming the file."""
    with pytest.raises(ValidationError) as info:
        parse_toxic(mapping, LOC, "toxics[0]")
    assert message in str(info.value)
    assert str(info.value).startswith("proxies/edge.json")


def test_toxics_built_in_code_are_validated_too() -> None:
    """The harness cannot construct an out-of-range toxic and send it to a proxy."""
    with pytest.raises(ValidationError, match="toxicity"):
        ResetToxic(toxicity=-0.1)
    with pytest.raises(ValidationError, match="direction"):
        LatencyToxic(10, direction="sideways")  # type: ignore[arg-type]


def test_state_rejects_unknown_top_level_keys_and_locates_bad_toxics() -> None:
    """A misspelt key is an error, and a bad toxic says which one it is."""
    with pytest.raises(ValidationError, match="unknown key 'toxic'"):
        ProxyState.from_dict({"generation": 1, "toxic": []}, LOC)
    with pytest.raises(ValidationError, match=r"toxics\[1\]: unknown kind 'slow'"):
        ProxyState.from_dict({"generation": 1, "toxics": [{"kind": "reset"}, {"kind": "slow"}]}, LOC)


def test_effects_add_latencies_per_direction_and_keep_the_lowest_rate() -> None:
    """Two latency toxics add up; two bandwidth limits mean the stricter one; kbps means 1000 bytes/s."""
    effects = Effects.of(
        [
            LatencyToxic(100, direction="both"),
            LatencyToxic(50, direction="upstream"),
            BandwidthToxic(100, "downstream"),
            BandwidthToxic(30, "downstream"),
        ]
    )
    rng = random.Random(1)
    assert effects.delay(True, rng) == pytest.approx(0.150)
    assert effects.delay(False, rng) == pytest.approx(0.100)
    assert effects.rate(False) == 30_000
    assert effects.rate(True) is None
    assert not effects.reset
    assert not effects.blackhole


def test_jitter_stays_within_its_bounds() -> None:
    """latency ± jitter, uniformly, never negative."""
    effects = Effects.of([LatencyToxic(100, jitter_ms=50)])
    rng = random.Random(7)
    delays = [effects.delay(False, rng) for _ in range(1000)]
    assert 0.05 <= min(delays) < 0.06
    assert 0.14 < max(delays) <= 0.15


def test_seeded_toxicity_hits_about_its_share_and_keeps_decisions_across_reloads() -> None:
    """Toxicity is a per-connection probability; a toxic that stays in place keeps its earlier decision."""
    half = ResetToxic(toxicity=0.5)
    rng = random.Random(42)
    first = [decide((half,), {}, rng) for _ in range(1000)]
    hits = sum(d[(half, 0)] for d in first)
    assert 430 < hits < 570
    again = [decide((half, LatencyToxic(5)), d, rng) for d in first]
    assert [d[(half, 0)] for d in again] == [d[(half, 0)] for d in first]
    assert all(d[(LatencyToxic(5), 0)] for d in again)
    assert not any(decide((ResetToxic(0.0),), {}, rng)[(ResetToxic(0.0), 0)] for _ in range(100))
