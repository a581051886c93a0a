-- Expand-only: a defaulted column, so releases that never mention it (1.1.0 and older) keep inserting orders.
ALTER TABLE orders ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'express'));
