"""The profile loader: the shipped profiles load, every mistake is one message at its path:line, and the
configuration names the profile (the suite's, or a target's own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError, ValidationError
from opsready.profile import builtin_profile, load_profile, parse_profile, profile_for
from opsready.yamlsrc import parse_yaml
from tests.unit.profile.conftest import SHELF_PROFILE

ROOT = Path(__file__).resolve().parents[3]


def _parse(text: str) -> object:
    return parse_profile(parse_yaml(text, "shelf.yaml"), Path("shelf.yaml"))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_sandboxs_profile_is_a_profile_like_any_other() -> None:
    """profiles/orders.yaml loads; both suite configurations name it."""
    profile = load_profile(ROOT / "profiles" / "orders.yaml")
    assert [j.name for j in profile.traffic("disposable")] == ["browse", "order"]
    assert profile.smoke.journeys == ("browse", "order") and profile.data is not None
    for name in ("opsready.yaml", "opsready.tests.yaml"):
        assert profile_for(load_config(ROOT / name)).path == ROOT / "profiles" / "orders.yaml"


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [
        (("request: GET /catalogue", "request: GTE /catalogue"), "GTE /catalogue", "'GTE' is not an HTTP method"),
        (("request: GET /catalogue", "request: GET catalogue"), "GET catalogue", "path must start with '/'"),
        (('json: "shelves[0].name"', 'json: "shelves[0]..name"'), "shelves[0]..name", "bad JSON path"),
        (("GET /api/books/{key}", "GET /api/books/{kye}"), "/api/books/{kye}", "'{kye}' is not captured"),
        (("journeys: [look, shelve]", "journeys: [look, shelf]"), "journeys: [look, shelf]", "unknown journey"),
        (("  weight: 2", "  wieght: 2"), "wieght", "unknown key 'wieght'"),
        (("  watermark_param: until\n", ""), "watermark: newest", "'watermark' and 'watermark_param' go together"),
        (("expect: {status: 204}", "expect: {status: 2040}"), "status: 2040", "must be an HTTP status"),
    ],
)
def test_a_mistake_is_reported_at_its_line(change: tuple[str, str], needle: str, message: str) -> None:
    """Each mistake is a ValidationError at the line where it was written."""
    text = SHELF_PROFILE.replace(*change)
    assert text != SHELF_PROFILE
    with pytest.raises(ValidationError) as error:
        _parse(text)
    assert message in error.value.message, error.value.message
    assert error.value.loc is not None and error.value.loc.line == _line_of(text, needle), str(error.value)


def test_the_bad_method_message_suggests_the_method_meant() -> None:
    """A typo gets a did-you-mean."""
    with pytest.raises(ValidationError, match="did you mean 'GET'"):
        _parse(SHELF_PROFILE.replace("request: GET /catalogue", "request: GTE /catalogue"))


def _suite(tmp_path: Path, profile_text: str, target_profile: str = "") -> Path:
    (tmp_path / "profiles").mkdir(parents=True)
    (tmp_path / "profiles" / "shelf.yaml").write_text(profile_text)
    (tmp_path / "profiles" / "other.yaml").write_text(SHELF_PROFILE.replace("service: bookshelf", "service: other"))
    own = f"    profile: {target_profile}\n" if target_profile else ""
    config = tmp_path / "opsready.yaml"
    config.write_text(
        "version: 1\nprofile: profiles/shelf.yaml\ntargets:\n  sandbox:\n    platform: sandbox\n"
        f"    state_dir: {tmp_path / 'state'}\n    ports: auto\n{own}"
    )
    return config


def test_a_target_may_name_its_own_profile(tmp_path: Path) -> None:
    """A target's profile: overrides the suite's; without either, the built-in profile (readiness only) applies."""
    config = load_config(_suite(tmp_path, SHELF_PROFILE, "profiles/other.yaml"))
    assert profile_for(config).service == "other"
    assert profile_for(load_config(_suite(tmp_path / "b", SHELF_PROFILE))).service == "bookshelf"
    bare = tmp_path / "bare.yaml"
    bare.write_text("version: 1\ntargets:\n  sandbox: {platform: sandbox}\n")
    assert profile_for(load_config(bare)) == builtin_profile()


def test_a_missing_profile_file_is_a_config_error_at_the_line_naming_it(tmp_path: Path) -> None:
    """The line of 'profile:' in opsready.yaml, and what to do."""
    config = load_config(_suite(tmp_path, SHELF_PROFILE, "profiles/nowhere.yaml"))
    with pytest.raises(ConfigError, match="does not exist") as error:
        profile_for(config)
    assert error.value.loc is not None and error.value.loc.line == 8


def test_config_check_reports_a_bad_profile_as_path_line_with_exit_2(tmp_path: Path) -> None:
    """`opsready config check` validates the profile: one message at the profile's path:line, no traceback."""
    text = SHELF_PROFILE.replace("request: GET /catalogue", "request: GTE /catalogue")
    config = _suite(tmp_path, text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "opsready.cli", "config", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    line = _line_of(text, "GTE /catalogue")
    assert (
        f"{tmp_path / 'profiles' / 'shelf.yaml'}:{line}: 'GTE' is not an HTTP method" in result.stderr + result.stdout
    )
    assert "Traceback" not in result.stderr


def test_a_target_opened_by_the_registry_carries_its_profile(tmp_path: Path) -> None:
    """Probes ask the target: the registry attaches the target's profile when it opens it (nothing is started)."""
    from opsready.profile import profile_of
    from opsready.targets.registry import open_target

    config = load_config(_suite(tmp_path, SHELF_PROFILE, "profiles/other.yaml"))
    target = open_target(config, "sandbox")
    try:
        assert profile_of(target).service == "other"
        assert not target.is_running()
    finally:
        target.close()
