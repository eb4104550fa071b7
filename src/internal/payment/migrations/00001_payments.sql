-- +goose Up
-- One row per order: what it owes (from order.created) and what became of
-- the charge. No card data: the provider's token, and nothing else.
CREATE TABLE IF NOT EXISTS payments (
    order_id     uuid PRIMARY KEY,
    method_id    text        NOT NULL,
    amount_cents bigint      NOT NULL CHECK (amount_cents >= 0),
    currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status       text        NOT NULL CHECK (status IN ('pending', 'captured', 'declined', 'failed', 'refunded')),
    charge_id    text        NOT NULL DEFAULT '',
    code         text        NOT NULL DEFAULT '',
    reason       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payments_recent ON payments (created_at DESC);

-- +goose Down
DROP TABLE IF EXISTS payments;
