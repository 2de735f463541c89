-- Which records link which contact (their contact, meeting attendees, deal contacts),
-- live or in the trash: a merge finds everything attached to a contact through this
-- index instead of reading every activity and deal. Filled by the application.
CREATE TABLE record_links (
    contact_id BLOB NOT NULL,
    record_id BLOB NOT NULL
);
CREATE INDEX record_links_contact ON record_links(contact_id);
CREATE INDEX record_links_record ON record_links(record_id);
