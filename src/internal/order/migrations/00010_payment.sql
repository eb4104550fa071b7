-- +goose Up
-- The payment saga (issue 21): an order shows its card (brand and last
-- four digits, never the number) and its payment's status, every status
-- it had, and may be cancelled or shipped once confirmed.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment jsonb;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS history jsonb NOT NULL DEFAULT '[]';
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled', 'shipped'));

-- +goose Down
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'confirmed', 'rejected'));
ALTER TABLE orders DROP COLUMN IF EXISTS history;
ALTER TABLE orders DROP COLUMN IF EXISTS payment;
