-- +goose Up
-- What each order's reservation took, so the saga's compensation (a
-- declined payment, a cancellation) puts back exactly that, once:
-- released_at is set by the release that did it.
CREATE TABLE IF NOT EXISTS reservations (
    order_id    text PRIMARY KEY,
    lines       jsonb       NOT NULL,
    reserved_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz
);

-- +goose Down
DROP TABLE IF EXISTS reservations;
