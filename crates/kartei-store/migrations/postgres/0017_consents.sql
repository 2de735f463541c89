-- The consent ledger. Purposes are configured by admins; wordings are stored once and
-- named by their SHA-256; events are appended and never changed; consent_state holds
-- the latest event per contact × channel × purpose, written in the event's
-- transaction, so that "may receive the newsletter by e-mail" is one indexed lookup.
CREATE TABLE consent_purposes (
    key TEXT PRIMARY KEY NOT NULL,
    name_de TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_de TEXT NOT NULL,
    description_en TEXT NOT NULL
);
INSERT INTO consent_purposes VALUES
    ('newsletter', 'Newsletter', 'Newsletter',
     'Regelmäßige Informationen per Newsletter.', 'Regular news by newsletter.'),
    ('marketing_calls', 'Werbeanrufe', 'Marketing calls',
     'Anrufe mit Angeboten und Werbung.', 'Calls with offers and advertising.'),
    ('product_news', 'Produktneuheiten', 'Product news',
     'Hinweise auf neue Produkte und Dienstleistungen.', 'Notes on new products and services.'),
    ('profiling', 'Profilbildung und Analyse', 'Profiling and analytics',
     'Auswertung des Kaufverhaltens für persönliche Angebote.', 'Analysis of purchases for personal offers.'),
    ('partners', 'Weitergabe an Partner', 'Passing data to partners',
     'Weitergabe der Kontaktdaten an Partnerunternehmen.', 'Passing contact data to partner companies.');
CREATE TABLE consent_wordings (
    hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    version BIGINT NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE consent_events (
    id UUID PRIMARY KEY NOT NULL,
    contact_id UUID NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    basis TEXT NOT NULL,
    source TEXT NOT NULL,
    wording_hash TEXT,
    proof TEXT NOT NULL,
    recorded_by UUID,
    recorded_by_name TEXT NOT NULL,
    -- The import that recorded it (undoing the import takes it back).
    import_id UUID,
    occurred_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consent_events_contact ON consent_events(contact_id, channel, purpose);
CREATE INDEX consent_events_import ON consent_events(import_id);
CREATE TABLE consent_state (
    contact_id UUID NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at TIMESTAMPTZ,
    event_id UUID NOT NULL,
    PRIMARY KEY (contact_id, channel, purpose)
);
CREATE INDEX consent_state_target ON consent_state(channel, purpose, status, contact_id);
