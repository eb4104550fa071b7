-- +goose Up
-- The relay claims rows by leasing them: one short UPDATE moves
-- next_attempt_at a lease ahead ("claimed until"), and the rows are
-- published after that statement committed, outside any transaction. Due
-- rows are found on these two partial indexes, fresh events and retries
-- apart, each in next_attempt_at order, so a claim reads only the rows it
-- takes however long the backlog (the old ORDER BY attempts > 0,
-- created_at could use no index and sorted the whole backlog).
CREATE INDEX IF NOT EXISTS outbox_fresh_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND attempts = 0;
CREATE INDEX IF NOT EXISTS outbox_retry_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND attempts > 0;

-- +goose Down
DROP INDEX IF EXISTS outbox_retry_due;
DROP INDEX IF EXISTS outbox_fresh_due;
