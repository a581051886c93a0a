"""An independent sweep of every host for anything a fault may have left, whatever the journals say.

It reads the hosts as they are, over SSH, without fault objects or journals: no ``opsready_fault_*`` nftables table,
no ``opsready-fault-*`` cgroup in the cpu or memory hierarchy, no fault timer running, and on the app hosts the
service RUNNING with no stopped process in its group.
"""

from __future__ import annotations

import shlex

from opsready.errors import HostError
from opsready.hosts.faults import timer
from opsready.hosts.faults.base import HostAccess
from opsready.hosts.faults.network import TABLE_PREFIX
from opsready.hosts.faults.resources import group_name, hierarchy_command
from opsready.hosts.options import HostEntry
from opsready.observation import Observation


def sweep_command(host: str, service_ctl: str | None) -> str:
    """Shell: one line per thing left (``table``, ``cgroup``, ``timer``, ``service`` or ``stopped pid`` lines)."""
    lines = [
        "command -v nft >/dev/null && nft list tables 2>/dev/null | "
        f'awk \'$3 ~ /^{TABLE_PREFIX}/ {{ print "table " $2 " " $3 }}\'',
        *(
            f'm=$({hierarchy_command(c)}); [ -n "$m" ] && for g in "$m"/{group_name(host, "")}*; do '
            f'[ -d "$g" ] && echo "cgroup $g"; done'
            for c in ("cpu", "memory")
        ),
        timer.sweep(),
    ]
    if service_ctl is not None:
        lines += [
            f's=$({service_ctl}); case "$s" in *RUNNING*) ;; *) echo "service $s" ;; esac',
            "p=$(echo \"$s\" | sed -n 's/.*pid \\([0-9]*\\).*/\\1/p')",
            '[ -n "$p" ] && cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$p" \'{ pid = $1; s = $0; '
            'sub(/.*\\) /, "", s); split(s, a, " "); if (a[3] == g && a[1] == "T") print "stopped pid " pid }\'',
        ]
    return "\n".join(line + "; true" if not line.endswith("true") else line for line in lines)


def _host(target: HostAccess, entry: HostEntry) -> Observation:
    o = target.options
    ctl = None
    if entry.role == "app":
        config = f" -c {shlex.quote(o.supervisor_config)}" if o.supervisor_config else ""
        ctl = f"{shlex.quote(o.supervisorctl)}{config} status {shlex.quote(o.service)}"
    command = sweep_command(entry.name, ctl)
    if o.sudo:
        command = f"sudo -n sh -c {shlex.quote(command)}"
    try:
        found = [
            line.strip() for line in target.connection(entry.name).run(command).stdout.splitlines() if line.strip()
        ]
    except HostError as exc:
        return Observation(f"no fault left on {entry.name}", False, None, "", exc.message)
    detail = "; ".join(found) if found else "no fault table, cgroup, timer or stopped service"
    return Observation(f"no fault left on {entry.name}", not found, float(len(found)), "", detail)


def residue(target: HostAccess) -> tuple[Observation, ...]:
    """One observation per host, in configuration order (all ``ok`` when nothing of any fault is left)."""
    return tuple(_host(target, entry) for entry in target.options.hosts)
