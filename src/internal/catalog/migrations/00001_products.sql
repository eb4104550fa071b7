-- +goose Up
CREATE TABLE IF NOT EXISTS products (
    id          text PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    category    text        NOT NULL,
    price_cents bigint      NOT NULL CHECK (price_cents >= 0),
    currency    text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    image       text        NOT NULL DEFAULT '',
    stock       integer     NOT NULL CHECK (stock >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Listing orders and filters; COLLATE "C" on lower(name) matches the byte
-- order the in-memory store sorts by.
CREATE INDEX IF NOT EXISTS products_name ON products ((lower(name) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS products_price ON products (price_cents, id);
CREATE INDEX IF NOT EXISTS products_category ON products (lower(category));

-- +goose Down
DROP TABLE IF EXISTS products;
