"""Deploy/rollback cycles through the sandbox target's own ``deploy`` and ``rollback`` (no soak), orders kept.

The sandbox serves 1.1.0; each cycle deploys 1.2.0 (across migration 002, an expand-only column) and rolls back to
1.1.0, placing one order on each release. Every order placed is in a ledger (id, item, quantity, as the api
acknowledged it); before the first cycle and after the last, the api's count and checksum over the orders
(``/orders/stats``) must equal the ledger's, computed with the same digest the backups use, and every order of the
ledger must still read back unchanged.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

import httpx

from opsready.errors import OpsreadyError
from opsready.sandbox.adapter import SandboxTarget
from opsready.sandbox.backup import digest_rows
from opsready.sandbox.supervisor import recorded_session
from soak.figures import Cycles

BASE, NEXT = "1.1.0", "1.2.0"
INITIAL_ORDERS = 100
Row = tuple[int, str, int]


def _place(client: httpx.Client, ledger: list[Row], n: int, problems: list[str]) -> None:
    item = f"soak-{n}"
    reply = client.post("/orders", json={"item": item, "quantity": 1 + n % 9})
    if reply.status_code != 201:
        problems.append(f"order {item} refused: {reply.status_code} {reply.text[:100]}")
        return
    order = reply.json()
    ledger.append((int(order["id"]), str(order["item"]), int(order["quantity"])))


def _existing(client: httpx.Client) -> list[Row]:
    return [(int(o["id"]), str(o["item"]), int(o["quantity"])) for o in client.get("/orders?limit=500").json()]


def _kept(client: httpx.Client, ledger: list[Row]) -> int:
    """How many orders of the ledger read back unchanged."""
    kept = 0
    for id_, item, quantity in ledger:
        reply = client.get(f"/orders/{id_}")
        if reply.status_code == 200 and (reply.json()["item"], reply.json()["quantity"]) == (item, quantity):
            kept += 1
    return kept


def session_processes(target: SandboxTarget) -> int:
    """Live processes in the sandbox's session (supervisord and everything it runs)."""
    session = recorded_session(target.sandbox.layout)
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                count += fields[0] != "Z" and int(fields[3]) == session
    return count


def run_cycles(target: SandboxTarget, requested: int, bound: float, say: Callable[[str], None]) -> tuple[Cycles, str]:
    """Run up to ``requested`` cycles within ``bound`` seconds; returns the figures and why it stopped early."""
    problems: list[str] = []
    target.deploy(BASE, note="soak baseline")
    with httpx.Client(base_url=target.base_url, timeout=10.0) as client:
        ledger = _existing(client)
        for n in range(INITIAL_ORDERS):
            _place(client, ledger, n, problems)
        before = client.get("/orders/stats").json()
        expected = digest_rows(sorted(ledger))
        if (before["total"], before["checksum"]) != (expected.orders, expected.checksum):
            problems.append(f"before the cycles the api counts {before['total']} orders, the ledger {len(ledger)}")
        processes_before = session_processes(target)
        say(f"{before['total']} orders, checksum {before['checksum'][:16]}, {processes_before} sandbox processes")
        worst, done, stopped = 0.0, 0, ""
        start = time.monotonic()
        while done < requested:
            if time.monotonic() - start >= bound:
                stopped = f"wall-time bound of {bound:.0f} s reached"
                break
            try:
                for step in ("deploy", "rollback"):
                    began = time.monotonic()
                    if step == "deploy":
                        target.deploy(NEXT, note=f"soak cycle {done + 1}")
                    else:
                        target.rollback(note=f"soak cycle {done + 1}")
                    worst = max(worst, time.monotonic() - began)
                    _place(client, ledger, INITIAL_ORDERS + 2 * done + (step == "rollback"), problems)
            except OpsreadyError as exc:
                problems.append(f"cycle {done + 1}: {exc}")
                stopped = f"cycle {done + 1} failed: {exc}"
                break
            done += 1
            if done % 50 == 0 or done == requested:
                say(f"[{done}/{requested} cycles, {time.monotonic() - start:.0f} s] slowest switch {worst:.2f} s")
        deadline = time.monotonic() + 10.0  # old workers finish their last request and exit
        while session_processes(target) > processes_before and time.monotonic() < deadline:
            time.sleep(0.2)
        same = client.get("/orders/stats", params={"upto": before["last_id"] or 0}).json()
        if (same["total"], same["checksum"]) != (before["total"], before["checksum"]):
            problems.append(f"the {before['total']} orders from before the cycles changed: {same['total']} now")
        after = client.get("/orders/stats").json()
        expected = digest_rows(sorted(ledger))
        if (after["total"], after["checksum"]) != (expected.orders, expected.checksum):
            problems.append(
                f"after the cycles the api counts {after['total']} orders (checksum {after['checksum'][:16]}), "
                f"the ledger {expected.orders} ({expected.checksum[:16]})"
            )
        kept = _kept(client, ledger)
    figures = Cycles(
        requested,
        done,
        before["total"],
        before["checksum"],
        same["checksum"],
        expected.orders,
        expected.checksum,
        after["total"],
        after["checksum"],
        kept,
        round(worst, 3),
        processes_before,
        session_processes(target),
        tuple(problems),
    )
    return figures, stopped
