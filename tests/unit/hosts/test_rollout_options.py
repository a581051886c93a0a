"""The ``balancer`` (HAProxy) and ``rollout`` sections of a hosts target: typed options, defaults, and each mistake a
ConfigError at its line, before any host or balancer is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ConfigError
from opsready.hosts.rollout_options import DEFAULT_ROLLOUT
from opsready.targets.rolling import rolling_of
from tests.unit.hosts.test_hosts_options import GOOD, load  # the complete configuration this one extends

ROLLING = (
    GOOD
    + """\
      kind: haproxy
      admin_socket: /run/haproxy/admin.sock
      backend: orders
      servers: {app1.example.com: web1}
    rollout:
      batch: 1
      drain_timeout: 10s
      soak: 45s
      max_error_rate: 0.5%
"""
)  # line 32 is 'kind', 36 'rollout'


def test_a_rolling_configuration_parses(tmp_path: Path) -> None:
    """HAProxy's socket and backend, each app host's server (its own name when not given), the rollout's rules."""
    target = load(tmp_path, ROLLING)
    haproxy = target.options.haproxy
    assert haproxy is not None and haproxy.admin_socket == "/run/haproxy/admin.sock" and haproxy.backend == "orders"
    assert haproxy.servers == {"app1.example.com": "web1", "app2.example.com": "app2.example.com"}
    rollout = target.options.rollout
    assert (rollout.batch, rollout.drain, rollout.drain_timeout, rollout.soak) == (1, True, 10.0, 45.0)
    assert rollout.max_error_rate == pytest.approx(0.005)
    assert rolling_of(target) is target


def test_without_a_balancer_kind_deploys_do_not_roll(tmp_path: Path) -> None:
    """Only ``balancer.url``: host by host as before, the rollout's defaults unused."""
    target = load(tmp_path, GOOD)
    assert target.options.haproxy is None and target.options.rollout == DEFAULT_ROLLOUT
    assert rolling_of(target) is None


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("kind: haproxy", "kind: nginx", "'kind' must be one of haproxy", 32),
        ("admin_socket: /run/haproxy/admin.sock", "admin_socket: admin.sock", "unix socket path", 33),
        ("admin_socket: /run/haproxy/admin.sock", "admin_socket: tcp://lb", "tcp://host:port", 33),
        ("backend: orders", "backend: 'or ders'", "'backend' must be an HAProxy name", 34),
        ("{app1.example.com: web1}", "{app9: web1}", "'app9' is not an app host of this target", 35),
        ("{app1.example.com: web1}", "{app1.example.com: app2.example.com}", "the same server name", 35),
        ("batch: 1", "batch: 2", "'batch' must be smaller than the 2 app hosts", 37),
        ("batch: 1", "batch: 0", "'batch' must be at least 1", 37),
        ("soak: 45s", "soak: forever", "bad duration .forever.", 39),
        ("soak: 45s", "soak: 45s\n      drian: false", "unknown key 'drian'", 40),
        ("      kind: haproxy\n", "", "'admin_socket' needs 'kind: haproxy'", 32),
    ],
)
def test_mistakes_are_reported_at_their_line(tmp_path: Path, old: str, new: str, message: str, line: int) -> None:
    """Every mistake names its file and line."""
    assert old in ROLLING
    with pytest.raises(ConfigError, match=message) as caught:
        load(tmp_path, ROLLING.replace(old, new, 1))
    assert f"opsready.yaml:{line}:" in str(caught.value), caught.value.render()


def test_drain_last_is_off_unless_asked_for(tmp_path: Path) -> None:
    """The last server in rotation is not drained by default; ``drain_last: true`` (the control) drains it anyway."""
    assert load(tmp_path, ROLLING).options.rollout.drain_last is False
    control = load(tmp_path, ROLLING.replace("      batch: 1\n", "      batch: 1\n      drain_last: true\n"))
    assert control.options.rollout.drain_last is True
