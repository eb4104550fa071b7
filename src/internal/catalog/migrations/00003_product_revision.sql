-- +goose Up
-- Every write to a product takes a new revision from one sequence, in the
-- statement that makes the change: product events carry it, and search
-- applies an event only if its revision is above the one it holds. Clocks
-- of replicas may disagree; the sequence cannot. One sequence for all
-- products (not a counter per row) so a product deleted and created again
-- still moves forward, and a deletion can take a revision of its own
-- (DELETE ... RETURNING nextval). nextval runs after the row lock is
-- taken, so revisions of one product rise in commit order.
CREATE SEQUENCE IF NOT EXISTS product_revisions;
ALTER TABLE products ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;
UPDATE products SET revision = nextval('product_revisions');
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION next_product_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := nextval('product_revisions');
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER products_revision
    BEFORE INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION next_product_revision();

-- +goose Down
DROP TRIGGER IF EXISTS products_revision ON products;
DROP FUNCTION IF EXISTS next_product_revision();
ALTER TABLE products DROP COLUMN IF EXISTS revision;
DROP SEQUENCE IF EXISTS product_revisions;
