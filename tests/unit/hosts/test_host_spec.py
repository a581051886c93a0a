"""Host specs: ssh://user@host:port parsed into a frozen HostSpec; everything else refused with path:line."""

from __future__ import annotations

import dataclasses

import pytest

from opsready.errors import ConfigError, Loc
from opsready.hosts import HostSpec, parse_host_spec

LOC = Loc("opsready.yaml", 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ssh://deploy@app1:22", HostSpec("deploy", "app1", 22)),
        ("ssh://deploy@app1", HostSpec("deploy", "app1", 22)),
        ("ssh://root@10.0.0.5:2222", HostSpec("root", "10.0.0.5", 2222)),
        ("ssh://ops_1@web-1.example.com:65535", HostSpec("ops_1", "web-1.example.com", 65535)),
    ],
)
def test_valid_specs_parse(text: str, expected: HostSpec) -> None:
    """User, host and port come out as written; the port defaults to 22."""
    assert parse_host_spec(text, LOC) == expected


def test_spec_is_frozen_and_prints_back() -> None:
    """A HostSpec cannot change after parsing and prints as the spec it came from, with the port."""
    spec = parse_host_spec("ssh://deploy@app1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.host = "other"  # type: ignore[misc]
    assert str(spec) == spec.testinfra_spec == "ssh://deploy@app1:22"
    assert spec.backend_spec == "deploy@app1:22"
    assert spec.name == "app1"


def test_password_is_refused_and_never_echoed() -> None:
    """ssh://user:password@ is refused at path:line, naming why, with the password masked."""
    with pytest.raises(ConfigError) as caught:
        parse_host_spec("ssh://deploy:s3cret-Pa55@app1:22", LOC)
    err = caught.value
    assert str(err) == "opsready.yaml:12: host 'ssh://deploy:***@app1:22' carries a password, which is refused"
    assert err.hint is not None and "command line" in err.hint
    assert "s3cret" not in err.render()
    assert err.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("app1", "needs the form ssh://user@host:port"),
        ("local://", "only ssh:// hosts are supported"),
        ("paramiko://root@app1", "only ssh:// hosts are supported"),
        ("ssh://app1:22", "names no user"),
        ("ssh://@app1:22", "names no user"),
        ("ssh://root@app1:0", "port '0' is not a number from 1 to 65535"),
        ("ssh://root@app1:http", "port 'http' is not a number"),
        ("ssh://root@app1:70000", "port '70000'"),
        ("ssh://root@-app1", "'-app1' is not a host name"),
        ("ssh://root@app1..example", "is not a host name"),
        ("ssh://root@app1:22/path", "no path or options"),
        ("ssh://root@app1:22?sudo=true", "no path or options"),
        ("ssh://ro ot@app1", "'ro ot' is not a user name"),
    ],
)
def test_malformed_specs_are_config_errors(text: str, message: str) -> None:
    """Each malformed spec names the spec and what is wrong, at path:line."""
    with pytest.raises(ConfigError, match=r"^opsready\.yaml:12: ") as caught:
        parse_host_spec(text, LOC)
    assert message in str(caught.value)


def test_a_spec_that_is_not_a_string_is_refused() -> None:
    """YAML can hand over a number or a mapping; the error says what it got."""
    with pytest.raises(ConfigError, match="not int"):
        parse_host_spec(22, LOC)
