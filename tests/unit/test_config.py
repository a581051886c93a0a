"""opsready.yaml: defaults, and every mistake reported at its line with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError

GOOD = """\
version: 1
targets:
  sandbox:
    platform: sandbox
    ports: auto
slos:
  rollback_within: 5 minutes
rollback_triggers:
  error_rate_above: 2%
  soak: 3s
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "opsready.yaml"
    path.write_text(text)
    return path


def test_loads_and_fills_defaults(tmp_path: Path) -> None:
    """Values given are parsed (durations, percentages); the rest get documented defaults."""
    config = load_config(write(tmp_path, GOOD))
    assert config.default_target == "sandbox"
    assert config.slos.rollback_within == 300.0
    assert config.slos.detect_within == 60.0
    assert config.triggers.error_rate_above == pytest.approx(0.02)
    assert config.triggers.soak == 3.0
    assert config.target().options == {"ports": "auto"}


def test_repository_config_is_valid() -> None:
    """The shipped opsready.yaml loads."""
    config = load_config(Path(__file__).parents[2] / "opsready.yaml")
    assert config.slos.rollback_within == 300.0


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + "slo:\n  x: 1\n", 11, "unknown key 'slo' (did you mean 'slos'?)"),
        (GOOD.replace("5 minutes", "5 minuts"), 7, "unknown unit 'minuts' (did you mean 'minutes'?)"),
        (GOOD.replace("2%", "200%"), 9, "expected a percentage"),
        (GOOD.replace("soak: 3s", "soak: [3]"), 10, "expected a duration"),
        (GOOD + "default_target: prod\n", 11, "default_target 'prod' is not defined"),
        (GOOD.replace("platform: sandbox", "platform: sandbx"), 4, "did you mean 'sandbox'"),
        (GOOD.replace("version: 1", "version: 2"), 1, "unsupported config version 2"),
        (GOOD + "reports_dir: 3\n", 11, "'reports_dir' must be a string"),
        (
            GOOD.replace("  rollback_within: 5 minutes", "  rollback_within: 5 minutes\n  rollback_within: 1m"),
            8,
            "duplicate key",
        ),
        (GOOD.replace("  soak: 3s", "  soak: 3s\n  interval: 0"), 11, "'interval' must be greater than zero"),
        ("targets: [1, 2]\n", 1, "'targets' must be a mapping"),
        ("version: 1\n", 1, "missing required key 'targets'"),
        (GOOD + "  bad indent: [\n", 11, "invalid YAML"),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    """Each mistake names opsready.yaml, the line it is on, and what is wrong; it is a user error (exit 2)."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert fragment in str(info.value)


def test_unknown_target_lists_the_defined_ones(tmp_path: Path) -> None:
    """Asking for a target that is not configured names the ones that are."""
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match=r"unknown target 'sandbx' \(did you mean 'sandbox'\?\); .* defines: sandbox"):
        config.target("sandbx")


def test_render_shows_the_offending_line(tmp_path: Path) -> None:
    """The rendered error quotes the line so nobody has to open the file to see it."""
    path = write(tmp_path, GOOD.replace("5 minutes", "5 minuts"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "    rollback_within: 5 minuts" in info.value.render()
