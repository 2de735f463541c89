-- Lists sort by name as German dictionaries order it (DIN 5007, variant 1: ä as a,
-- ue as ue, the spelling as a tie-break), no longer by the matching key in which
-- "Bauer" became "baur" and sorted after "Baumann". The keys of existing records
-- are computed in Rust after this migration (migrate.rs).
ALTER TABLE contacts ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX contacts_sort_key ON contacts(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE organizations ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX organizations_sort_key ON organizations(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE activities ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX activities_sort_key ON activities(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE pipelines ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX pipelines_sort_key ON pipelines(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE deals ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX deals_sort_key ON deals(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE product_categories ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX product_categories_sort_key ON product_categories(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE products ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX products_sort_key ON products(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE orders ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_sort_key ON orders(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE tickets ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_sort_key ON tickets(sort_key, id) WHERE deleted_at IS NULL;
ALTER TABLE feedback ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX feedback_sort_key ON feedback(sort_key, id) WHERE deleted_at IS NULL;
