"""Orders: the service's one business object, and every statement the api and the worker run on it.

Times are stored as epoch seconds (portable between PostgreSQL and SQLite) and shown as ISO 8601 in UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from opsready.sandbox.service.db import Db, Row

STATUSES = ("pending", "fulfilled")
PRIORITIES = ("normal", "express")
_COLUMNS = "id, item, quantity, status, created_at, fulfilled_at"


def iso(ts: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC with milliseconds (None stays None)."""
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Order:
    """One order as stored; ``priority`` is None when the release does not know about priorities."""

    id: int
    item: str
    quantity: int
    status: str
    created_at: float
    fulfilled_at: float | None
    priority: str | None = None

    def to_json(self) -> dict[str, object]:
        """The order as the api returns it."""
        data: dict[str, object] = {
            "id": self.id,
            "item": self.item,
            "quantity": self.quantity,
            "status": self.status,
            "created_at": iso(self.created_at),
            "fulfilled_at": iso(self.fulfilled_at),
        }
        if self.priority is not None:
            data["priority"] = self.priority
        return data


@dataclass(frozen=True)
class OrderStats:
    """Counts, the age of the oldest pending order, and a checksum over what was ordered."""

    total: int
    pending: int
    fulfilled: int
    oldest_pending_age_s: float | None
    checksum: str
    last_id: int | None = None

    def to_json(self) -> dict[str, object]:
        """The stats as the api returns them."""
        return {
            "total": self.total,
            "pending": self.pending,
            "fulfilled": self.fulfilled,
            "oldest_pending_age_s": self.oldest_pending_age_s,
            "checksum": self.checksum,
            "last_id": self.last_id,
        }


def _order(row: Row) -> Order:
    id_, item, quantity, status, created_at, fulfilled_at, *rest = row
    return Order(
        id=int(id_),
        item=str(item),
        quantity=int(quantity),
        status=str(status),
        created_at=float(created_at),
        fulfilled_at=None if fulfilled_at is None else float(fulfilled_at),
        priority=str(rest[0]) if rest else None,
    )


def _columns(with_priority: bool) -> str:
    return f"{_COLUMNS}, priority" if with_priority else _COLUMNS


def create_order(db: Db, item: str, quantity: int, now: float, priority: str | None = None) -> Order:
    """Insert a pending order (with a priority only when given: older releases leave the column to its default)."""
    if priority is None:
        rows = db.query(
            "INSERT INTO orders (item, quantity, status, created_at) VALUES (?, ?, 'pending', ?) RETURNING id",
            (item, quantity, now),
        )
    else:
        rows = db.query(
            "INSERT INTO orders (item, quantity, status, created_at, priority) "
            "VALUES (?, ?, 'pending', ?, ?) RETURNING id",
            (item, quantity, now, priority),
        )
    return Order(int(rows[0][0]), item, quantity, "pending", now, None, priority)


def get_order(db: Db, order_id: int, *, with_priority: bool = False) -> Order | None:
    """One order by id, or None."""
    rows = db.query(f"SELECT {_columns(with_priority)} FROM orders WHERE id = ?", (order_id,))
    return _order(rows[0]) if rows else None


def list_orders(db: Db, *, status: str | None = None, limit: int = 50, with_priority: bool = False) -> list[Order]:
    """Orders by id, optionally only those in one status."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    sql = f"SELECT {_columns(with_priority)} FROM orders {where} ORDER BY id LIMIT ?"
    return [_order(row) for row in db.query(sql, [*params, limit])]


def order_stats(db: Db, now: float, upto: int | None = None) -> OrderStats:
    """Counts and the checksum over every order's (id, item, quantity), which fulfilment never changes.

    With ``upto``, only orders with an id up to it count: "were the orders that existed then all kept?".
    """
    where, params = ("WHERE id <= ?", (upto,)) if upto is not None else ("", ())
    total, pending, oldest, last_id = db.query(
        "SELECT COUNT(*), "
        "COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), "
        f"MIN(CASE WHEN status = 'pending' THEN created_at END), MAX(id) FROM orders {where}",
        params,
    )[0]
    digest = hashlib.sha256()
    for id_, item, quantity in db.query(
        f"SELECT id, item, quantity FROM orders {where} ORDER BY id", params, timeout=10.0
    ):
        digest.update(f"{id_}\t{item}\t{quantity}\n".encode())
    age = None if oldest is None else round(max(0.0, now - float(oldest)), 3)
    last = None if last_id is None else int(last_id)
    return OrderStats(int(total), int(pending), int(total) - int(pending), age, digest.hexdigest(), last)


def fulfil_due(db: Db, *, older_than: float, now: float, batch: int = 500) -> int:
    """Mark up to ``batch`` pending orders created at or before ``older_than`` as fulfilled; return how many."""
    return db.execute(
        "UPDATE orders SET status = 'fulfilled', fulfilled_at = ? WHERE id IN "
        "(SELECT id FROM orders WHERE status = 'pending' AND created_at <= ? ORDER BY id LIMIT ?)",
        (now, older_than, batch),
    )
