"""The fleet's network: a subnet nobody on this machine uses, a bridge in a namespace of its own, and one veth pair
per host plus one whose end in the root namespace lets the test process reach the fleet.

The root namespace gets exactly one link, ``<prefix>r``, with one address of the fleet's subnet (the kernel adds the
subnet's route on that link, and removes it with the link). Nothing else in the root namespace changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import random
import subprocess
import tempfile
from collections.abc import Iterable, Iterator

# Private /24s a test fleet may take, in an order shuffled per fleet (two fleets at once rarely try the same first).
CANDIDATES = tuple(f"10.{a}.{b}.0/24" for a in (213, 217, 229) for b in range(16, 48)) + tuple(
    f"172.{a}.{b}.0/24" for a in (27, 29) for b in range(200, 216)
)
BRIDGE = "br0"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``ip`` with a time limit; a failure raises with ip's own message."""
    out = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=15, check=False)
    if check and out.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {out.stderr.strip() or out.stdout.strip()}")
    return out


def networks_in_use() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network on this machine's addresses and routes (all tables), except the default route."""
    nets: list[ipaddress.IPv4Network] = []
    for line in ip("-o", "-4", "addr", "show").stdout.splitlines():
        fields = line.split()
        if "inet" in fields:
            nets.append(ipaddress.IPv4Interface(fields[fields.index("inet") + 1]).network)
    for line in ip("-4", "route", "show", "table", "all").stdout.splitlines():
        dest = line.split()[0] if line.split() else ""
        if dest in ("default", "broadcast", "local", "unreachable", "blackhole", "prohibit", "throw", "multicast"):
            # typed routes carry the destination second
            parts = line.split()
            dest = parts[1] if dest != "default" and len(parts) > 1 else ""
        if not dest:
            continue
        try:
            nets.append(ipaddress.IPv4Network(dest, strict=False))
        except ValueError:
            continue
    return nets


def pick_subnet(taken: Iterable[ipaddress.IPv4Network] | None = None) -> ipaddress.IPv4Network:
    """A candidate /24 overlapping nothing in use here; RuntimeError when every candidate is taken."""
    used = list(networks_in_use() if taken is None else taken)
    candidates = [ipaddress.IPv4Network(c) for c in CANDIDATES]
    random.shuffle(candidates)
    for net in candidates:
        if not any(net.overlaps(other) for other in used):
            return net
    raise RuntimeError("every candidate subnet for the test fleet overlaps a network in use on this machine")


@contextlib.contextmanager
def subnet_lock() -> Iterator[None]:
    """Held from picking a subnet until its root link carries it, so two fleets built at once never pick the same.

    The lock is ``flock`` on the temporary directory itself: machine-wide, and it leaves no lock file behind.
    """
    fd = os.open(tempfile.gettempdir(), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def make_switch(namespace: str) -> None:
    """A namespace holding only a bridge: the fleet's switch."""
    ip("netns", "add", namespace)
    ip("-n", namespace, "link", "set", "lo", "up")
    ip("-n", namespace, "link", "add", BRIDGE, "type", "bridge")
    ip("-n", namespace, "link", "set", BRIDGE, "up")


def plug_root(switch: str, link: str, address: ipaddress.IPv4Interface) -> None:
    """The root namespace's one link to the fleet: ``link`` here, its peer on the switch's bridge."""
    ip("link", "add", link, "type", "veth", "peer", "name", "uplink", "netns", switch)
    ip("-n", switch, "link", "set", "uplink", "master", BRIDGE, "up")
    ip("addr", "add", str(address), "dev", link)
    ip("link", "set", link, "up")


def plug_host(switch: str, namespace: str, port: str, address: ipaddress.IPv4Interface) -> None:
    """A host namespace's ``eth0``, its peer ``port`` on the switch's bridge; no end ever sits in the root namespace."""
    ip("netns", "add", namespace)
    ip("-n", namespace, "link", "set", "lo", "up")
    ip("-n", switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
    ip("-n", switch, "link", "set", port, "master", BRIDGE, "up")
    ip("-n", namespace, "addr", "add", str(address), "dev", "eth0")
    ip("-n", namespace, "link", "set", "eth0", "up")


def namespaces_with(prefix: str) -> list[str]:
    """Network namespaces whose name starts with ``prefix``."""
    names = [line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.split()]
    return [n for n in names if n.startswith(prefix)]


def links_with(prefix: str) -> list[str]:
    """Links of the root namespace whose name starts with ``prefix``."""
    out = []
    for line in ip("-o", "link", "show").stdout.splitlines():
        name = line.split(":", 2)[1].strip().split("@")[0]
        if name.startswith(prefix):
            out.append(name)
    return out


def remove(prefix: str) -> list[str]:
    """Delete the namespaces and root-namespace links named with ``prefix``; the problems met, for the report."""
    problems = []
    for name in namespaces_with(prefix):
        out = ip("netns", "del", name, check=False)
        if out.returncode != 0:
            problems.append(f"netns {name}: {out.stderr.strip()}")
    for link in links_with(prefix):
        out = ip("link", "del", link, check=False)
        if out.returncode != 0 and "Cannot find" not in out.stderr:
            problems.append(f"link {link}: {out.stderr.strip()}")
    return problems
