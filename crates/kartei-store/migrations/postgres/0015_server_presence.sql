-- Servers serving this database say so every half minute. A bulk load started while
-- one is serving keeps every index, so that live queries never fall back to scans.
CREATE TABLE server_presence (
    id UUID PRIMARY KEY NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL
);
