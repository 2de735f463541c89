-- The id a contact has in the system it was imported from, to match it on re-import.
ALTER TABLE contacts ADD COLUMN external_id TEXT;
CREATE INDEX contacts_external_id ON contacts(external_id) WHERE deleted_at IS NULL AND external_id IS NOT NULL;
