-- Search shows people whose own name matches before people whose organisation (or
-- e-mail, city …) matches: every token carries its tier, 0 for a word of the record's
-- own name, 1 for the others, and the index leads with it. Existing tokens start at 1;
-- the name words of existing records are marked in Rust after this migration
-- (migrate.rs).
ALTER TABLE search_tokens ADD COLUMN tier INTEGER NOT NULL DEFAULT 1;
DROP INDEX search_tokens_token;
CREATE UNIQUE INDEX search_tokens_token ON search_tokens(tier, token, sort_key, record_id);
