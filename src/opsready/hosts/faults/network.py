"""Network faults inside one host's own network namespace, with nftables: a port dropped or rejected, and a
partition from another host (an app host that cannot reach its database host).

Each fault is one nftables table of its own, ``inet opsready_fault_<fault id>``, made in one ``nft -f`` transaction
and deleted whole by the revert, so two faults on one host never touch each other's rules and nothing of a fault
survives its revert. What the rules match is a *set* whose elements carry a kernel **timeout** of the fault's time
limit (relative, counted by the host's kernel): when it runs out the element is gone and the rule matches nothing,
with no process on the host that could be killed first and no clock to agree on. The empty table left after such an
expiry is removed by the revert, the dead-man watchdog or ``opsready recover``.

The port opsready reaches the host through (its SSH port) is refused: a fault there would cut the line its own
revert needs.
"""

from __future__ import annotations

import shlex

from opsready.hosts.faults.base import HostFault
from opsready.observation import Observation
from opsready.targets.faults import Facts

TABLE_PREFIX = "opsready_fault_"


def table_name(fault_id: str) -> str:
    """The fault's own nftables table (inet family)."""
    return TABLE_PREFIX + "".join(c if c.isalnum() else "_" for c in fault_id)


def _timeout(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


class NftFault(HostFault):
    """A fault that is one nftables table on the host."""

    @property
    def table(self) -> str:
        """``inet <name>``."""
        return f"inet {table_name(self.fault_id)}"

    def ruleset(self, seconds: float) -> str:
        """The table's definition, its set elements timing out after ``seconds`` (each kind implements it)."""
        raise NotImplementedError

    def need_nft(self) -> None:
        """Refuse a host without the nft command."""
        if not self.run("command -v nft >/dev/null").succeeded:
            raise self.refuse("the nft command is not installed on the host (Debian: nftables)")

    def place(self, deadline: float) -> None:
        """Load the table in one transaction."""
        script = self.ruleset(self.seconds_left(deadline))
        self.check(f"adding nftables table {self.table}", f"printf '%s\\n' {shlex.quote(script)} | nft -f -")

    def lift(self, timeout: float) -> None:
        """Delete the table (nothing to do when it is not there)."""
        self.run(f"nft delete table {self.table} 2>/dev/null; true", timeout)

    def verify_reverted(self) -> Observation:
        """The table is not on the host."""
        left = self.run(f"nft list table {self.table} >/dev/null 2>&1").succeeded
        problems = [f"nftables table {self.table} is still there"] if left else []
        return self.observe("no fault rule", problems, f"no nftables table {self.table}")


class PortFault(NftFault):
    """Drop or reject new and established traffic to one port of the host (``port-drop``, ``port-reject``)."""

    @property
    def port(self) -> int:
        """The port."""
        return int(self.spec.number("port"))

    @property
    def protocol(self) -> str:
        """tcp or udp."""
        return self.spec.text("protocol")

    @property
    def verdict(self) -> str:
        """drop, or a reject the client sees at once (a TCP reset, an ICMP port unreachable for UDP)."""
        if self.spec.kind == "port-drop":
            return "drop"
        return "reject with tcp reset" if self.protocol == "tcp" else "reject"

    def describe(self) -> str:
        """What would happen."""
        what = "drop" if self.spec.kind == "port-drop" else "reject"
        return (
            f"{what} {self.protocol} traffic to port {self.port} on host {self.host} (nftables table {self.table}, "
            f"its element expiring on the host after {self.spec.time_limit:g} s); the revert deletes the table"
        )

    def prepare(self) -> Facts:
        """nft must be on the host, and the port must not be the one opsready reaches the host through."""
        if self.protocol == "tcp" and self.port == self.entry.spec.port:
            raise self.refuse(f"port {self.port} is the port opsready reaches the host through (SSH); refused")
        self.need_nft()
        return ()

    def ruleset(self, seconds: float) -> str:
        """One set of ports and one input rule."""
        return "\n".join(
            [
                f"table {self.table} {{",
                "  set ports {",
                "    type inet_service; flags timeout;",
                f"    elements = {{ {self.port} timeout {_timeout(seconds)} }}",
                "  }",
                "  chain input {",
                "    type filter hook input priority -10; policy accept;",
                f"    {self.protocol} dport @ports {self.verdict}",
                "  }",
                "}",
            ]
        )


class Partition(NftFault):
    """Drop every packet between the host and another host of the target (both ways, by the peer's addresses)."""

    @property
    def peer(self) -> str:
        """The host cut off from this one."""
        return self.spec.text("peer")

    def describe(self) -> str:
        """What would happen."""
        return (
            f"drop every packet between host {self.host} and host {self.peer}, inside {self.host} (nftables table "
            f"{self.table}, its elements expiring on the host after {self.spec.time_limit:g} s); the revert deletes "
            "the table"
        )

    def prepare(self) -> Facts:
        """Read the peer's addresses on the peer itself (an ssh alias need not resolve on the host)."""
        if self.peer == self.host:
            raise self.refuse("a host cannot be partitioned from itself")
        peer = self.target.entry(self.peer)
        self.need_nft()
        out = self.target.connection(peer.name).run("ip -o addr show scope global").stdout
        found = [
            w[i + 1].split("/")[0]
            for w in (line.split() for line in out.splitlines())
            for i, x in enumerate(w[:-1])
            if x in ("inet", "inet6")
        ]
        if not found:
            raise self.refuse(f"host {self.peer} reports no global address (`ip -o addr show scope global`)")
        return (("peer_addresses", ",".join(found)),)

    def addresses(self, family: int) -> list[str]:
        """The peer's addresses of one family (4 or 6)."""
        every = [a for a in self.facts.get("peer_addresses", "").split(",") if a]
        return [a for a in every if (":" in a) == (family == 6)]

    def ruleset(self, seconds: float) -> str:
        """Two sets (IPv4, IPv6) of the peer's addresses; input and output rules dropping them."""
        lines = [f"table {self.table} {{"]
        for family, kind in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            found = self.addresses(family)
            elements = ", ".join(f"{a} timeout {_timeout(seconds)}" for a in found)
            lines += [f"  set peers{family} {{", f"    type {kind}; flags timeout;"]
            lines += [f"    elements = {{ {elements} }}"] if found else []
            lines.append("  }")
        for chain, field in (("input", "saddr"), ("output", "daddr")):
            lines += [
                f"  chain {chain} {{",
                f"    type filter hook {chain} priority -10; policy accept;",
                f"    ip {field} @peers4 drop",
                f"    ip6 {field} @peers6 drop",
                "  }",
            ]
        return "\n".join([*lines, "}"])
