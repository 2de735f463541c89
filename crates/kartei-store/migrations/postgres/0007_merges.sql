-- Merged contacts: who was merged into whom, and what is needed to take it back (the
-- survivor before, the records moved over with their data before, tags added, loyalty
-- bookings and audit entries moved).
CREATE TABLE merges (
    id UUID PRIMARY KEY NOT NULL,
    survivor_id UUID NOT NULL,
    merged_id UUID NOT NULL,
    merged_name TEXT NOT NULL,
    merged_external_id TEXT,
    actor_name TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    moved BIGINT NOT NULL,
    undo TEXT NOT NULL
);
CREATE INDEX merges_survivor ON merges(survivor_id, at);
CREATE INDEX merges_external_id ON merges(merged_external_id);

-- The result of the last duplicate scan, one row per likely pair (a < b).
CREATE TABLE duplicate_candidates (
    a UUID NOT NULL,
    b UUID NOT NULL,
    score BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    cluster BIGINT NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX duplicate_candidates_score ON duplicate_candidates(score, a, b);

-- One row: when the last scan ran and what it found.
CREATE TABLE duplicate_scans (
    id BIGINT PRIMARY KEY NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    contacts BIGINT NOT NULL,
    pairs BIGINT NOT NULL
);

-- Pairs a user marked as different people; scans leave them out.
CREATE TABLE distinct_pairs (
    a UUID NOT NULL,
    b UUID NOT NULL,
    PRIMARY KEY (a, b)
);

-- Column mappings of imports saved under a name, to use again for the next file.
CREATE TABLE import_presets (
    name TEXT PRIMARY KEY NOT NULL,
    mapping TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
