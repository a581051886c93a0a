-- The orders table on SQLite: AUTOINCREMENT so ids are never reused, like a PostgreSQL sequence.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fulfilled')),
    created_at DOUBLE PRECISION NOT NULL,
    fulfilled_at DOUBLE PRECISION
);
CREATE INDEX orders_status_created_at ON orders (status, created_at);
