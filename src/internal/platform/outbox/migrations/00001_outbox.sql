-- +goose Up
-- Events wait here, written in the same transaction as the change they
-- describe, until the relay has published them.
CREATE TABLE IF NOT EXISTS outbox (
    id          uuid PRIMARY KEY,
    type        text        NOT NULL,
    envelope    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text,
    sent_at     timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE IF EXISTS outbox;
