"""A test fleet: app hosts and a database host, each a machine of its own (network, PID, mount and UTS namespaces)
with sshd, behind HAProxy in a namespace of its own; built for a test session and torn down without a trace.

Everything the fleet makes is named with one prefix, ``ors-<6 hex>-``, and teardown acts only on names with that
prefix and on processes it started (checked by pid and start time), so two fleets, or a fleet beside anything
else on the machine, never touch each other.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from pathlib import Path

import psutil

from . import network
from .balancer import HTTP_PORT, RuntimeApi, haproxy_config
from .machine import HostProcess, keygen, start_machine, wait_for_port

APP_HOSTS = ("app1", "app2")
DB_HOST = "db"
BALANCER = "lb"
OWNER = "owner"


@dataclass(frozen=True)
class FleetHost:
    """One host of the fleet: its name (also its hostname and ssh alias), role, address and namespace."""

    name: str
    role: str
    address: str
    namespace: str


@dataclass
class Fleet:
    """A fleet under construction or running; :meth:`teardown` undoes whatever part of it exists."""

    prefix: str = field(default_factory=lambda: f"ors-{secrets.token_hex(3)}-")
    workdir: Path = field(init=False)
    subnet: ipaddress.IPv4Network | None = None
    hosts: dict[str, FleetHost] = field(default_factory=dict)
    processes: list[HostProcess] = field(default_factory=list)
    netns_inodes: set[int] = field(default_factory=set)
    balancer_address: str = ""
    adopt: InitVar[Path | None] = None  # the directory of a fleet left behind, to tear it down (see orphans.py)

    def __post_init__(self, adopt: Path | None) -> None:
        if adopt is not None:
            self.workdir = adopt
            self.netns_inodes = {os.stat(p).st_ino for p in Path("/run/netns").glob(f"{self.prefix}*")}
            return
        self.workdir = Path(tempfile.mkdtemp(prefix=self.prefix))
        # Who owns this fleet, by pid and start time: a fleet whose owner is gone is an orphan anyone may remove.
        me = psutil.Process()
        (self.workdir / OWNER).write_text(f"{me.pid} {me.create_time()!r}\n", encoding="utf-8")

    # -- what tests use ------------------------------------------------------------------------------------------
    @property
    def known_hosts(self) -> Path:
        """The known_hosts file holding each host's key, generated for this fleet."""
        return self.workdir / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        """An ssh_config naming each host (``Host app1`` ...) with its address, the fleet's user and key."""
        return self.workdir / "ssh_config"

    @property
    def control_dir(self) -> Path:
        """Where ssh control sockets for this fleet go, so teardown can find every master connection."""
        return self.workdir / "cm"

    @property
    def balancer(self) -> RuntimeApi:
        """HAProxy's runtime API."""
        return RuntimeApi(self.workdir / "haproxy.sock")

    @property
    def balancer_url(self) -> str:
        """The fleet's front door: HAProxy's HTTP frontend."""
        return f"http://{self.balancer_address}/"

    def spec(self, name: str) -> str:
        """The host spec of ``name``, as a target would list it."""
        return f"ssh://root@{name}:22"

    # -- building ------------------------------------------------------------------------------------------------
    def build(self, after_host: Callable[[str], None] | None = None) -> Fleet:
        """Build the whole fleet; on any failure or interrupt, tear down what exists and re-raise."""
        try:
            self._build(after_host or (lambda name: None))
        except BaseException:
            self.teardown()
            raise
        return self

    def _build(self, after_host: Callable[[str], None]) -> None:
        switch = f"{self.prefix}sw"
        network.make_switch(switch)
        self._record_netns(switch)
        with network.subnet_lock():
            self.subnet = network.pick_subnet()
            addresses = list(self.subnet.hosts())
            network.plug_root(switch, f"{self.prefix}r", ipaddress.IPv4Interface(f"{addresses[0]}/24"))
        self.control_dir.mkdir(mode=0o700)
        keygen(self.workdir / "user_key", "opsready test fleet user")
        shutil.copyfile(self.workdir / "user_key.pub", self.workdir / "authorized_keys")
        plan = [(n, "app", addresses[10 + i]) for i, n in enumerate(APP_HOSTS)] + [(DB_HOST, "database", addresses[20])]
        for name, role, addr in plan:
            host = FleetHost(name, role, str(addr), f"{self.prefix}{name}")
            network.plug_host(switch, host.namespace, name, ipaddress.IPv4Interface(f"{addr}/24"))
            self._record_netns(host.namespace)
            self.hosts[name] = host
            self.processes.append(start_machine(self.workdir, host.namespace, name, host.address, web=role == "app"))
            wait_for_port(host.address, 22, self.processes[-1])
            after_host(name)
        self._write_client_files()
        self._start_balancer(switch, str(addresses[1]))

    def _start_balancer(self, switch: str, address: str) -> None:
        namespace = f"{self.prefix}{BALANCER}"
        network.plug_host(switch, namespace, BALANCER, ipaddress.IPv4Interface(f"{address}/24"))
        self._record_netns(namespace)
        servers = {n: h.address for n, h in self.hosts.items() if h.role == "app"}
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(self.balancer.path, address, servers), encoding="utf-8")
        argv = ["/usr/sbin/haproxy", "-db", "-f", str(config)]
        # As a namespace's PID 1, HAProxy gets only the signals it handles: SIGUSR1 (soft stop) is one of them.
        self.processes.append(
            start_machine(
                self.workdir, namespace, BALANCER, address, web=False, command=argv, stop_signal=signal.SIGUSR1
            )
        )
        self.balancer_address = address
        wait_for_port(address, 80, self.processes[-1])
        deadline = time.monotonic() + 15
        while not self._servers_up():
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy's health checks never saw every app host up: {self.balancer.servers()}")
            time.sleep(0.1)

    def _servers_up(self) -> bool:
        """Whether HAProxy's health checks see every app host up (False while its runtime socket is not there yet)."""
        try:
            return all(s.up for s in self.balancer.servers().values())
        except (FileNotFoundError, ConnectionRefusedError):
            return False

    def _write_client_files(self) -> None:
        keys, config = [], []
        for name, host in self.hosts.items():
            pub = (self.workdir / name / "ssh_host_ed25519_key.pub").read_text(encoding="utf-8").split()
            keys.append(f"{name} {pub[0]} {pub[1]}")
            config += [
                f"Host {name}",
                f"    HostName {host.address}",
                f"    HostKeyAlias {name}",
                "    User root",
                f"    IdentityFile {self.workdir / 'user_key'}",
                "    IdentitiesOnly yes",
            ]
        self.known_hosts.write_text("\n".join(keys) + "\n", encoding="utf-8")
        self.ssh_config.write_text("\n".join(config) + "\n", encoding="utf-8")

    def _record_netns(self, name: str) -> None:
        self.netns_inodes.add(os.stat(f"/run/netns/{name}").st_ino)

    # -- tearing down --------------------------------------------------------------------------------------------
    def teardown(self) -> list[str]:
        """Remove everything this fleet made, whatever state it is in; the problems met (empty when clean)."""
        problems: list[str] = []
        # SIGINT during teardown must not leave half of it undone.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if _main_thread() else None
        try:
            problems += self._close_ssh_masters()
            for proc in reversed(self.processes):
                problems += proc.stop()
            problems += self._kill_stragglers()
            problems += network.remove(self.prefix)
            shutil.rmtree(self.workdir, ignore_errors=True)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return problems

    def _close_ssh_masters(self) -> list[str]:
        if not self.control_dir.is_dir():
            return []
        for sock in self.control_dir.iterdir():
            subprocess.run(
                ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "fleet-host"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        return []

    def _kill_stragglers(self) -> list[str]:
        """Any process still in one of our namespaces, or naming our directory (an ssh master): ours, by pid."""
        problems = []
        for proc in our_processes(self.workdir, self.netns_inodes):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
                proc.wait(5)
                continue
        for proc in our_processes(self.workdir, self.netns_inodes):
            problems.append(f"process {proc.pid} would not die")
        return problems


def our_processes(workdir: Path, netns_inodes: set[int]) -> list[psutil.Process]:
    """Processes in one of the fleet's network namespaces, or whose command line names the fleet's directory."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            in_ns = os.stat(f"/proc/{proc.pid}/ns/net").st_ino in netns_inodes
        except OSError:
            continue
        if in_ns or any(str(workdir) in arg for arg in proc.info["cmdline"] or ()):
            found.append(proc)
    return found


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


__all__ = ["APP_HOSTS", "DB_HOST", "HTTP_PORT", "Fleet", "FleetHost", "our_processes"]
