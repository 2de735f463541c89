-- Blocking keys for duplicate detection (see kartei_core::matching::contact_keys):
-- contacts sharing a key are compared; the rest never are.
CREATE TABLE match_keys (
    key TEXT NOT NULL,
    record_id BLOB NOT NULL
);
CREATE INDEX match_keys_key ON match_keys(key, record_id);
CREATE INDEX match_keys_record ON match_keys(record_id);
