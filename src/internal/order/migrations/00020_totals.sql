-- +goose Up
-- An order's amounts are computed once when it is placed (totals.go):
-- total = subtotal + shipping, tax is the VAT the total includes; the
-- shipping column holds the method, its price and delivery estimate. The
-- human reference (SHP-XXXXXX) is unique; orders placed before it existed
-- have none (NULL) and keep their subtotal equal to their total.
ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS reference      text UNIQUE CHECK (reference ~ '^SHP-[2-9A-HJKMNP-TV-Z]{6}$'),
    ADD COLUMN IF NOT EXISTS subtotal_cents bigint,
    ADD COLUMN IF NOT EXISTS shipping_cents bigint NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    ADD COLUMN IF NOT EXISTS tax_cents      bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
    ADD COLUMN IF NOT EXISTS shipping       jsonb  NOT NULL DEFAULT '{"method": "standard", "cents": 0, "estimate_min_days": 0, "estimate_max_days": 0, "tracking": ""}';
UPDATE orders SET subtotal_cents = total_cents WHERE subtotal_cents IS NULL;
ALTER TABLE orders
    ALTER COLUMN subtotal_cents SET NOT NULL,
    ALTER COLUMN subtotal_cents SET DEFAULT 0,
    ADD CONSTRAINT orders_total_adds_up CHECK (total_cents = subtotal_cents + shipping_cents AND tax_cents <= total_cents);

-- +goose Down
ALTER TABLE orders
    DROP CONSTRAINT IF EXISTS orders_total_adds_up,
    DROP COLUMN IF EXISTS shipping,
    DROP COLUMN IF EXISTS tax_cents,
    DROP COLUMN IF EXISTS shipping_cents,
    DROP COLUMN IF EXISTS subtotal_cents,
    DROP COLUMN IF EXISTS reference;
