-- +goose Up
-- One row per order, lines and customer as JSON: an order is written once
-- and read whole, so creating one is two rows (this and its outbox event).
CREATE TABLE IF NOT EXISTS orders (
    id               uuid PRIMARY KEY,
    status           text        NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    reason           text        NOT NULL DEFAULT '',
    customer         jsonb       NOT NULL,
    items            jsonb       NOT NULL,
    total_cents      bigint      NOT NULL CHECK (total_cents >= 0),
    currency         text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    idempotency_key  text UNIQUE,
    request_hash     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE IF EXISTS orders;
