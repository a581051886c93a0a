"""The SSH connection layer over the real fleet: every host operation goes over ssh, with host keys checked and a
time limit on each command; failures are one clear error naming the host and quoting nothing secret."""

from __future__ import annotations

import gc
import time
from dataclasses import replace
from pathlib import Path

import pytest

from opsready.errors import ConfigError, HostError, Loc
from opsready.hosts import HostConnection, SshSettings, connect, parse_host_spec

from .fleet import Fleet

pytestmark = pytest.mark.hosts


def secrets_of(fleet: Fleet) -> list[str]:
    """What must never appear in an error: the key's path and its private and public material."""
    key = fleet.workdir / "user_key"
    private = [line for line in key.read_text(encoding="utf-8").splitlines() if "-----" not in line]
    return [str(key), *private, (fleet.workdir / "user_key.pub").read_text(encoding="utf-8").split()[1]]


def assert_clean(error: HostError, fleet: Fleet) -> None:
    text = error.render()
    for secret in secrets_of(fleet):
        assert secret not in text, f"{secret[:12]}... leaked into: {text}"


@pytest.mark.parametrize("name", ["app1", "app2", "db"])
def test_each_host_is_a_machine_of_its_own(fleet: Fleet, ssh_settings: SshSettings, name: str) -> None:
    """Over ssh each host answers with its own hostname, its own PID 1 (sshd) and its own /srv/app."""
    with connect(parse_host_spec(fleet.spec(name)), ssh_settings) as conn:
        assert conn.run("hostname").stdout.strip() == name
        assert conn.run("cat /proc/1/comm").stdout.strip() == "sshd", "sshd is PID 1 of the host's PID namespace"
        host = conn.host
        assert host.file("/srv/app/hostname").content_string.strip() == name
        assert host.file("/srv/app").is_directory


def test_srv_is_private_to_each_host(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """A file written to /srv/app on app1 over ssh is not on app2, though both have /srv/app."""
    with (
        connect(parse_host_spec(fleet.spec("app1")), ssh_settings) as app1,
        connect(parse_host_spec(fleet.spec("app2")), ssh_settings) as app2,
    ):
        app1.check("echo written-on-app1 > /srv/app/private")
        try:
            assert app1.run("cat /srv/app/private").stdout.strip() == "written-on-app1"
            assert not app2.host.file("/srv/app/private").exists
            assert not Path("/srv/app/private").exists(), "nor on this machine"
        finally:
            app1.check("rm -f /srv/app/private")


def test_hanging_command_is_stopped_by_its_time_limit(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """A remote command that hangs ends in a HostError naming the host after its limit, and is gone from the host."""
    with connect(parse_host_spec(fleet.spec("app2")), ssh_settings) as conn:
        started = time.monotonic()
        with pytest.raises(HostError) as caught:
            conn.run("sleep 300; echo never", timeout=1.5)
        elapsed = time.monotonic() - started
        assert 1.5 <= elapsed < 6, elapsed
        assert caught.value.host == "app2"
        assert "did not finish within 1.5 s" in str(caught.value) and "sleep 300" in str(caught.value)
        assert conn.run("pgrep -x sleep").exit_status == 1, "the hung command was killed on the host"
        assert conn.run("echo still-usable").stdout.strip() == "still-usable"


def test_testinfra_modules_get_the_time_limit_too(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """Commands testinfra's modules run go through the same limit: host.run is no way around it."""
    conn = HostConnection(parse_host_spec(fleet.spec("db")), replace(ssh_settings, command_timeout=1))
    with conn, pytest.raises(HostError, match="did not finish within 1 s"):
        conn.host.run("sleep 30")


def test_unreachable_host_is_one_clear_error(fleet: Fleet, ssh_settings: SshSettings, tmp_path: Path) -> None:
    """A host with no machine behind its address: one HostError naming it, within the connect timeout."""
    assert fleet.subnet is not None
    config = tmp_path / "ssh_config"
    config.write_text(f"Host ghost\n    HostName {fleet.subnet[250]}\nInclude {fleet.ssh_config}\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(HostError) as caught:
        connect(parse_host_spec("ssh://root@ghost:22"), replace(ssh_settings, ssh_config=config))
    assert time.monotonic() - started < 10
    assert caught.value.host == "ghost"
    assert str(caught.value).startswith("host ghost: unreachable"), str(caught.value)
    assert_clean(caught.value, fleet)


def test_closed_port_is_unreachable(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """A host that is there but runs no ssh on the port: connection refused, naming the host."""
    with pytest.raises(HostError, match=r"^host app1: unreachable: connection refused"):
        connect(parse_host_spec("ssh://root@app1:2222"), ssh_settings)


def test_host_key_mismatch_is_refused(fleet: Fleet, ssh_settings: SshSettings, tmp_path: Path) -> None:
    """app1 presenting a key other than the one known for it is an error, not a prompt, and nothing runs there."""
    lines = fleet.known_hosts.read_text(encoding="utf-8").splitlines()
    keys = {line.split()[0]: line.split(None, 1)[1] for line in lines}
    swapped = tmp_path / "known_hosts"
    swapped.write_text(f"app1 {keys['db']}\n", encoding="utf-8")  # db's key where app1's belongs
    with pytest.raises(HostError) as caught:
        connect(parse_host_spec(fleet.spec("app1")), replace(ssh_settings, known_hosts=swapped))
    assert str(caught.value).startswith("host app1: host key mismatch"), str(caught.value)
    assert caught.value.hint and "known_hosts" in caught.value.hint
    assert_clean(caught.value, fleet)


def test_unknown_host_key_is_refused(fleet: Fleet, ssh_settings: SshSettings, tmp_path: Path) -> None:
    """A host absent from known_hosts is refused too (StrictHostKeyChecking yes: never trust on first use)."""
    empty = tmp_path / "known_hosts"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HostError, match=r"^host db: host key unknown"):
        connect(parse_host_spec(fleet.spec("db")), replace(ssh_settings, known_hosts=empty))
    assert empty.read_text(encoding="utf-8") == "", "nothing was added to known_hosts"


def test_user_config_cannot_turn_host_key_checking_off(fleet: Fleet, ssh_settings: SshSettings, tmp_path: Path) -> None:
    """A user's ssh_config saying StrictHostKeyChecking no does not win over ours: an unknown key is still refused."""
    config = tmp_path / "ssh_config"
    config.write_text(
        f"StrictHostKeyChecking no\nUserKnownHostsFile /dev/null\nInclude {fleet.ssh_config}\n", encoding="utf-8"
    )
    empty = tmp_path / "known_hosts"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HostError, match="host key unknown"):
        connect(parse_host_spec(fleet.spec("app2")), replace(ssh_settings, ssh_config=config, known_hosts=empty))


def test_password_spec_is_refused_before_any_connection(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """A spec with a password is a ConfigError at its path:line; app1's sshd never sees a connection.

    The console also holds the host's web service and the end of earlier tests' connections, so only sshd's
    "Connection from" lines (LogLevel VERBOSE) written after the parse count."""
    log = fleet.workdir / "app1" / "console.log"
    size = log.stat().st_size
    with pytest.raises(ConfigError) as caught:
        parse_host_spec("ssh://root:hunter2@app1:22", Loc("opsready.yaml", 7))
    text = caught.value.render()
    assert text.startswith("opsready.yaml:7: host 'ssh://root:***@app1:22' carries a password, which is refused")
    assert "hunter2" not in text and "sshpass" in text
    time.sleep(0.5)
    assert "Connection from" not in written_since(log, size), "sshd logged a connection"
    size = log.stat().st_size
    with connect(parse_host_spec(fleet.spec("app1")), ssh_settings) as conn:  # the check does see a connection
        conn.check("true")
    assert "Connection from" in written_since(log, size)


def written_since(log: Path, size: int) -> str:
    with log.open("rb") as console:
        console.seek(size)
        return console.read().decode("utf-8", "replace")


def test_close_ends_the_ssh_master(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """One master connection per host while open (commands reuse it); none, and no socket, after close."""
    conn = connect(parse_host_spec(fleet.spec("db")), ssh_settings)
    sockets = set(fleet.control_dir.iterdir())
    assert len(sockets) == 1
    conn.run("true")
    assert set(fleet.control_dir.iterdir()) == sockets, "the second command reused the master"
    conn.close()
    assert not any(fleet.control_dir.iterdir())
    with pytest.raises(HostError, match="closed"):
        conn.run("true")


def test_a_connection_never_closed_is_released_when_collected(fleet: Fleet, ssh_settings: SshSettings) -> None:
    """Forgetting close() leaves no ssh master nor files once the connection is garbage (or Python exits)."""
    conn = connect(parse_host_spec(fleet.spec("app2")), ssh_settings)
    own_dir = conn.config_path.parent
    assert len(list(fleet.control_dir.iterdir())) == 1
    del conn
    gc.collect()
    assert not own_dir.exists()
    assert not any(fleet.control_dir.iterdir()), "the master was told to exit"
