-- The audit log becomes a hash chain: each entry from here on carries its place (seq),
-- the record it was written about (subject_id: a merge later moves record_id to the
-- survivor, the chain keeps the original), a hash of its before/after values (kept
-- when erasure removes those values), the previous entry's hash and its own.
-- `kartei audit verify` recomputes the chain. Entries from before have no seq.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN subject_id BLOB;
ALTER TABLE audit_log ADD COLUMN content_hash TEXT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
