-- +goose Up
-- Every write to products, whoever makes it, tells the replicas' read
-- caches to drop what they hold (see cache.go).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_changed', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER products_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();

-- +goose Down
DROP TRIGGER IF EXISTS products_changed ON products;
DROP FUNCTION IF EXISTS notify_catalog_changed();
