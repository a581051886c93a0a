"""SSH cut on one fleet host, as a broken network would: an nftables table in the host's own network namespace that
drops every packet to its port 22 (the established connections too). Put there from outside, like a failing switch,
never through opsready; removed on leaving the ``with`` block, and by itself (the set's element timeout) if that
never runs."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator

from .fleet import Fleet

TABLE = "ors_test_ssh_cut"


def _nft(fleet: Fleet, host: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", fleet.hosts[host].namespace, "nft", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )


def cut(fleet: Fleet, host: str, seconds: int = 120) -> None:
    """Drop everything to ``host``'s port 22 for at most ``seconds``."""
    script = f"""
table inet {TABLE} {{
  set ports {{ type inet_service; flags timeout; elements = {{ 22 timeout {seconds}s }} }}
  chain input {{ type filter hook input priority -10; policy accept; tcp dport @ports drop; }}
}}
"""
    out = _nft(fleet, host, script)
    assert out.returncode == 0, out.stderr


def mend(fleet: Fleet, host: str) -> None:
    """Remove the cut (nothing to do when it is not there)."""
    _nft(fleet, host, f"delete table inet {TABLE}\n")


@contextlib.contextmanager
def ssh_cut_window(fleet: Fleet, host: str) -> Iterator[None]:
    """Whatever cut is made on ``host`` inside the block is gone after it."""
    try:
        yield
    finally:
        mend(fleet, host)
