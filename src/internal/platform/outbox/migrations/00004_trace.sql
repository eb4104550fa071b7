-- +goose Up
-- The W3C trace context of the change that wrote each event (also in the
-- envelope, as the CloudEvents distributed-tracing extension), so an
-- operator can find a trace's stuck events: WHERE traceparent LIKE '00-<trace id>-%'.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent text;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS tracestate text;

-- +goose Down
ALTER TABLE outbox DROP COLUMN IF EXISTS tracestate;
ALTER TABLE outbox DROP COLUMN IF EXISTS traceparent;
