-- The orders table (PostgreSQL; SQLite runs 001_orders.sqlite.sql). Times are epoch seconds.
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fulfilled')),
    created_at DOUBLE PRECISION NOT NULL,
    fulfilled_at DOUBLE PRECISION
);
CREATE INDEX orders_status_created_at ON orders (status, created_at);
