-- The last data-quality audit (one row), so a restart of the server keeps it.
CREATE TABLE quality_reports (
    id BIGINT PRIMARY KEY NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    report TEXT NOT NULL
);
