-- A change an import makes names the import, so the history can say "changed by
-- import kunden.csv of 01.12.2026" and not only who started it.
ALTER TABLE audit_log ADD COLUMN import_id UUID;
