-- Servers serving this database say so every half minute. A bulk load started while
-- one is serving keeps every index, so that live queries never fall back to scans.
CREATE TABLE server_presence (
    id TEXT PRIMARY KEY NOT NULL,
    seen_at TEXT NOT NULL
);
