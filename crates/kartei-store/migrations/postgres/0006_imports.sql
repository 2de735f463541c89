-- Import jobs: what each import created and what it changed (with the record before),
-- written in the transaction of each batch, so an import can be resumed after a crash
-- and undone within 30 days.
CREATE TABLE imports (
    id UUID PRIMARY KEY NOT NULL,
    file_name TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    undone_at TIMESTAMPTZ,
    next_row BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL
);
CREATE INDEX imports_hash ON imports(file_hash);

CREATE TABLE import_items (
    import_id UUID NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    record_id UUID NOT NULL,
    action TEXT NOT NULL,
    before_data TEXT
);
CREATE INDEX import_items_import ON import_items(import_id);
