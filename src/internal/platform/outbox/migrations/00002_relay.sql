-- +goose Up
-- A failed event waits until next_attempt_at, so one the broker refuses
-- does not hold up the others.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz NOT NULL DEFAULT now();

-- Every insert wakes the relays (LISTEN outbox_pending); they also poll, so
-- a notification lost while a relay reconnects only delays an event.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_pending', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Consumers record each event they handled in the same transaction as its
-- effect, so a redelivered event is recognised and acknowledged unapplied.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE IF EXISTS processed_events;
DROP TRIGGER IF EXISTS outbox_inserted ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
ALTER TABLE outbox DROP COLUMN IF EXISTS next_attempt_at;
