-- +goose Up
-- The emails to shoppers about their orders, written in the same
-- transaction as the status change they report and sent by a relay that
-- marks them sent: one per order and kind, so a redelivered event never
-- writes a second.
CREATE TABLE IF NOT EXISTS mail (
    id         uuid PRIMARY KEY,
    order_id   uuid        NOT NULL REFERENCES orders (id),
    kind       text        NOT NULL,
    recipient  text        NOT NULL,
    subject    text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    UNIQUE (order_id, kind)
);
CREATE INDEX IF NOT EXISTS mail_unsent ON mail (created_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE IF EXISTS mail;
