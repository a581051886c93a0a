"""What a fleet could leave behind, looked up by its name prefix, its directory and the pids it started.

Each check reads the machine directly (``ip``, /proc, /sys/fs/cgroup, ``nft``), never the fleet's own bookkeeping, so
a teardown that forgot something is caught.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import psutil

from . import network
from .fleet import our_processes


def leftovers(
    prefix: str,
    workdir: Path,
    pids: dict[int, float] | None = None,
    netns_inodes: set[int] | None = None,
    subnet: ipaddress.IPv4Network | None = None,
) -> list[str]:
    """Everything of the fleet still present: namespaces, links, mounts, cgroups, nft rules, processes, addresses."""
    found = [f"network namespace {n}" for n in network.namespaces_with(prefix)]
    found += [f"netns file /run/netns/{p.name}" for p in _glob(Path("/run/netns"), prefix)]
    found += [f"link {n}" for n in network.links_with(prefix)]
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        found += [f"mount {line.split()[4]}" for line in f if prefix in line or str(workdir) in line]
    for controller in _glob(Path("/sys/fs/cgroup"), ""):
        found += [f"cgroup {p}" for p in controller.rglob(f"{prefix}*") if p.is_dir()]
    if shutil.which("nft"):
        rules = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, timeout=15, check=False)
        found += [f"nft: {line.strip()}" for line in rules.stdout.splitlines() if prefix in line]
    for pid, started in (pids or {}).items():
        try:
            proc = psutil.Process(pid)
            # A zombie has exited; only its exit status waits for a parent (often this machine's init) to collect it.
            if proc.create_time() == started and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(f"process {pid} still running")
        except psutil.NoSuchProcess:
            pass
    found += [
        f"process {p.pid} ({' '.join(p.info['cmdline'] or [])[:60]})"
        for p in our_processes(workdir, netns_inodes or set())
    ]
    if subnet is not None:
        for command in (["-o", "addr", "show"], ["route", "show", "table", "all"], ["rule", "show"]):
            for line in network.ip(*command).stdout.splitlines():
                if _mentions(line, subnet):
                    found.append(f"root namespace: ip {' '.join(command)}: {line.strip()}")
    if workdir.exists():
        found.append(f"directory {workdir}")
    return found


def _glob(directory: Path, prefix: str) -> list[Path]:
    try:
        return [p for p in directory.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def _mentions(line: str, subnet: ipaddress.IPv4Network) -> bool:
    for word in line.replace("/", " ").split():
        try:
            if ipaddress.IPv4Address(word) in subnet:
                return True
        except ValueError:
            continue
    return False
