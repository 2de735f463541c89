-- Saved views (segments): a named list query (filter, columns, sort) of one entity,
-- private to its owner or shared with everyone.
CREATE TABLE saved_views (
    id BLOB PRIMARY KEY NOT NULL,
    owner_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views(owner_id);
