-- Kartei foundation schema (SQLite). Its twin is postgres/0001_foundation.sql; a test
-- checks that both have the same tables and columns.
-- Record columns besides `data` are index columns derived from `data`: text is folded
-- (lower case, umlauts folded) so that filters and sorting behave alike on both databases.

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    language TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE organizations (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    legal_form TEXT,
    industry TEXT,
    team_size BIGINT,
    website TEXT,
    email TEXT,
    phone TEXT,
    city TEXT,
    postcode TEXT,
    country TEXT,
    owner_id BLOB REFERENCES users(id) ON DELETE SET NULL,
    lifecycle_stage TEXT,
    price_group TEXT,
    customer_type TEXT,
    customer_number TEXT
);
CREATE INDEX organizations_sort_name ON organizations(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_industry ON organizations(industry, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_team_size ON organizations(team_size, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_city ON organizations(city, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_postcode ON organizations(postcode, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_created_at ON organizations(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_updated_at ON organizations(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX organizations_owner ON organizations(owner_id);
CREATE INDEX organizations_trash ON organizations(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE contacts (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    gender TEXT,
    birthday TEXT,
    language TEXT,
    email TEXT,
    phone TEXT,
    city TEXT,
    postcode TEXT,
    country TEXT,
    organization_id BLOB REFERENCES organizations(id) ON DELETE SET NULL,
    job_title TEXT,
    lifecycle_stage TEXT,
    lead_source TEXT,
    owner_id BLOB REFERENCES users(id) ON DELETE SET NULL,
    price_group TEXT,
    customer_type TEXT,
    customer_number TEXT
);
CREATE INDEX contacts_sort_name ON contacts(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_first_name ON contacts(first_name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_birthday ON contacts(birthday, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_email ON contacts(email, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_city ON contacts(city, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_postcode ON contacts(postcode, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_created_at ON contacts(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_updated_at ON contacts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_organization ON contacts(organization_id);
CREATE INDEX contacts_owner ON contacts(owner_id);
CREATE INDEX contacts_trash ON contacts(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE tags (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A tag on a contact or organisation (record ids are unique across both).
CREATE TABLE record_tags (
    tag_id BLOB NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    record_id BLOB NOT NULL,
    PRIMARY KEY (tag_id, record_id)
);
CREATE INDEX record_tags_record ON record_tags(record_id);

CREATE TABLE custom_fields (
    id BLOB PRIMARY KEY NOT NULL,
    entity TEXT NOT NULL,
    field_key TEXT NOT NULL,
    label_de TEXT NOT NULL,
    label_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (entity, field_key)
);

-- Custom values as sortable keys (see kartei_core::custom_field::index_key); the
-- values themselves live in the record's `data`.
CREATE TABLE custom_values (
    field_id BLOB NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    record_id BLOB NOT NULL
);
CREATE INDEX custom_values_field ON custom_values(field_id, value, record_id);
CREATE INDEX custom_values_record ON custom_values(record_id);

-- Search: one row per distinct token of a record, carrying the record's sort key so
-- that a prefix range scan returns results already in order.
CREATE TABLE search_tokens (
    token TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    record_id BLOB NOT NULL
);
CREATE UNIQUE INDEX search_tokens_token ON search_tokens(token, sort_key, record_id);
CREATE INDEX search_tokens_record ON search_tokens(record_id, token);

-- Typo tolerance: every distinct name term with its one-letter deletions
-- (see kartei_core::fuzzy).
CREATE TABLE term_variants (
    variant TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (variant, term)
);

CREATE TABLE audit_log (
    id BLOB PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor_id BLOB,
    actor_name TEXT NOT NULL,
    entity TEXT NOT NULL,
    record_id BLOB,
    action TEXT NOT NULL,
    before_data TEXT,
    after_data TEXT
);
CREATE INDEX audit_log_record ON audit_log(record_id, id);

-- Index definitions dropped during a bulk load; recreated on the next start if the
-- load was interrupted.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL
);
