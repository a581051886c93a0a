"""The ``gate:`` section of opsready.yaml: expected skips, each with a reason, every mistake at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import Config, ExpectedSkip, load_config
from opsready.errors import ConfigError

BASE = "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n"
ROOT = Path(__file__).resolve().parents[2]


def test_expected_skips_are_read_with_their_reasons(tmp_path: Path) -> None:
    """Each entry names a scenario (or node id) and says why; lookups match either."""
    text = (
        "gate:\n  expected_skips:\n"
        "    - scenario: Host check\n      reason: no hosts in CI\n"
        "    - {scenario: 'steps/test_x.py::test_y', reason: kubernetes only}\n"
    )
    config = load_config_ok(tmp_path, text)
    assert config.gate.expected_skips == (
        ExpectedSkip("Host check", "no hosts in CI"),
        ExpectedSkip("steps/test_x.py::test_y", "kubernetes only"),
    )
    assert config.gate.expected_reason("Host check", "whatever") == "no hosts in CI"
    assert config.gate.expected_reason("other", "steps/test_x.py::test_y") == "kubernetes only"
    assert config.gate.expected_reason("other", "other") == ""


def load_config_ok(tmp_path: Path, text: str) -> Config:
    """Load ``BASE + text``, which must be valid."""
    path = tmp_path / "opsready.yaml"
    path.write_text(BASE + text)
    return load_config(path)


def test_no_gate_section_expects_no_skip(tmp_path: Path) -> None:
    """Without the section, every skip makes a gate not ready."""
    assert load_config_ok(tmp_path, "").gate.expected_skips == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("gate:\n  expected_skips:\n    - scenario: Host check\n", 7, "missing required key 'reason'"),
        ("gate:\n  expected_skips:\n    - {scenario: Host check, reason: '  '}\n", 7, "'reason' must say why"),
        ("gate:\n  expected_skips:\n    - {reason: why}\n", 7, "missing required key 'scenario'"),
        ("gate:\n  expected_skips:\n    - Host check\n", 7, "must be a mapping"),
        ("gate:\n  expected_skips:\n    - {scenario: a, reason: b, why: c}\n", 7, "unknown key 'why'"),
        ("gate:\n  expected_skip: []\n", 6, "unknown key 'expected_skip'"),
        (
            "gate:\n  expected_skips:\n    - {scenario: a, reason: b}\n    - {scenario: a, reason: c}\n",
            8,
            "'a' is listed twice",
        ),
    ],
    ids=["no-reason", "blank-reason", "no-scenario", "not-a-map", "unknown-key", "misspelt-list", "duplicate"],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    """A skip without a reason, a misspelt key, a duplicate: ``opsready.yaml:LINE: message``."""
    path = tmp_path / "opsready.yaml"
    path.write_text(BASE + text)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert f"opsready.yaml:{line}:" in str(error.value)


@pytest.mark.parametrize("name", ["opsready.yaml", "opsready.tests.yaml"])
def test_the_shipped_configurations_load(name: str) -> None:
    """The repository's own configurations stay valid."""
    assert load_config(ROOT / name).targets
