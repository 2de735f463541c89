-- Imports can find existing contacts by their customer number (the usual key of a
-- re-import from a shop or accounting system).
CREATE INDEX contacts_customer_number ON contacts(customer_number) WHERE deleted_at IS NULL AND customer_number IS NOT NULL;
