-- +goose Up
-- The text filter (q: lower(name) or lower(description) LIKE '%text%') can
-- use no B-tree: without these it reads every product, and at 100,000
-- products a text search costs tens of milliseconds. Trigram GIN indexes
-- answer a LIKE with a pattern of three characters or more from the
-- trigrams it contains. pg_trgm is a trusted extension (PostgreSQL 13+):
-- the database's owner may create it, no superuser needed.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS products_name_trgm ON products USING gin (lower(name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS products_description_trgm ON products USING gin (lower(description) gin_trgm_ops);
-- A category page in name order reads its category's products in that
-- order and stops at the page, and its total is counted from an index
-- alone (an index-only scan needs every column the count's filter reads,
-- hence INCLUDE). Both start with lower(category), so the index on
-- lower(category) alone has nothing left to do.
CREATE INDEX IF NOT EXISTS products_category_name ON products (lower(category), (lower(name) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS products_category_price ON products (lower(category), price_cents) INCLUDE (category, stock);
DROP INDEX IF EXISTS products_category;

-- +goose Down
CREATE INDEX IF NOT EXISTS products_category ON products (lower(category));
DROP INDEX IF EXISTS products_category_price;
DROP INDEX IF EXISTS products_category_name;
DROP INDEX IF EXISTS products_description_trgm;
DROP INDEX IF EXISTS products_name_trgm;
