-- The customer history: activities, pipelines and deals, products and orders,
-- tickets and feedback, the loyalty ledger and the stage history of deals; lead
-- fields and the review marker of contacts. Its twin is the other dialect's 0004.

CREATE TABLE activities (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    kind TEXT,
    contact_id BLOB,
    organization_id BLOB,
    deal_id BLOB,
    assignee_id BLOB,
    due_date TEXT,
    starts_at TEXT,
    happened_at TEXT,
    done BIGINT,
    priority TEXT
);
CREATE INDEX activities_sort_name ON activities(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_created_at ON activities(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_updated_at ON activities(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_due_date ON activities(due_date, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_starts_at ON activities(starts_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_happened_at ON activities(happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_contact_id_happened_at ON activities(contact_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_organization_id_happened_at ON activities(organization_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_deal_id_happened_at ON activities(deal_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_assignee_id_due_date ON activities(assignee_id, due_date, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_trash ON activities(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE pipelines (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL
);
CREATE INDEX pipelines_sort_name ON pipelines(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_created_at ON pipelines(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_updated_at ON pipelines(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_trash ON pipelines(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE deals (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    pipeline_id BLOB,
    stage_id BLOB,
    status TEXT,
    value_minor BIGINT,
    currency TEXT,
    expected_close TEXT,
    probability BIGINT,
    owner_id BLOB,
    contact_id BLOB,
    organization_id BLOB,
    lost_reason TEXT
);
CREATE INDEX deals_sort_name ON deals(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_created_at ON deals(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_updated_at ON deals(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_value_minor ON deals(value_minor, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_expected_close ON deals(expected_close, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_contact_id_created_at ON deals(contact_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_organization_id_created_at ON deals(organization_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_stage_id_updated_at ON deals(stage_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_pipeline_stage ON deals(pipeline_id, stage_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner_id_updated_at ON deals(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_trash ON deals(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE product_categories (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    parent_id BLOB
);
CREATE INDEX product_categories_sort_name ON product_categories(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_created_at ON product_categories(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_updated_at ON product_categories(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_parent_id_sort_name ON product_categories(parent_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_trash ON product_categories(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE products (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    sku TEXT,
    category_id BLOB,
    price_minor BIGINT,
    active BIGINT
);
CREATE INDEX products_sort_name ON products(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX products_created_at ON products(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_updated_at ON products(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_sku ON products(sku, id) WHERE deleted_at IS NULL;
CREATE INDEX products_price_minor ON products(price_minor, id) WHERE deleted_at IS NULL;
CREATE INDEX products_category_id_sort_name ON products(category_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX products_trash ON products(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE orders (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    number TEXT,
    ordered_on TEXT,
    status TEXT,
    channel TEXT,
    currency TEXT,
    gross_minor BIGINT,
    contact_id BLOB,
    organization_id BLOB,
    happened_at TEXT
);
CREATE INDEX orders_sort_name ON orders(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_created_at ON orders(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_updated_at ON orders(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_number ON orders(number, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_ordered_on ON orders(ordered_on, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_gross_minor ON orders(gross_minor, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_happened_at ON orders(happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_contact_id_happened_at ON orders(contact_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_organization_id_happened_at ON orders(organization_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_trash ON orders(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE tickets (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    status TEXT,
    priority TEXT,
    channel TEXT,
    assignee_id BLOB,
    contact_id BLOB,
    organization_id BLOB,
    due_at TEXT
);
CREATE INDEX tickets_sort_name ON tickets(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_created_at ON tickets(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_updated_at ON tickets(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_due_at ON tickets(due_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_contact_id_created_at ON tickets(contact_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_organization_id_created_at ON tickets(organization_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_assignee_id_status ON tickets(assignee_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_trash ON tickets(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE feedback (
    id BLOB PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    created_by BLOB,
    updated_by BLOB,
    data TEXT NOT NULL,
    sort_name TEXT NOT NULL,
    contact_id BLOB,
    nps BIGINT,
    rating BIGINT,
    given_on TEXT,
    happened_at TEXT
);
CREATE INDEX feedback_sort_name ON feedback(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_created_at ON feedback(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_updated_at ON feedback(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_nps ON feedback(nps, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_rating ON feedback(rating, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_given_on ON feedback(given_on, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_happened_at ON feedback(happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_contact_id_happened_at ON feedback(contact_id, happened_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_trash ON feedback(deleted_at) WHERE deleted_at IS NOT NULL;

-- Every stage a deal entered, with the time: win rates and cycle times are read here.
CREATE TABLE deal_stage_history (
    id BLOB PRIMARY KEY NOT NULL,
    deal_id BLOB NOT NULL,
    pipeline_id BLOB NOT NULL,
    stage_id BLOB NOT NULL,
    entered_at TEXT NOT NULL,
    actor_id BLOB
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, entered_at);
CREATE INDEX deal_stage_history_pipeline ON deal_stage_history(pipeline_id, entered_at);

-- Loyalty points per contact: an append-only ledger; the balance is its sum.
CREATE TABLE loyalty_ledger (
    id BLOB PRIMARY KEY NOT NULL,
    contact_id BLOB NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    reason TEXT NOT NULL,
    order_id BLOB,
    actor_id BLOB,
    actor_name TEXT NOT NULL
);
CREATE INDEX loyalty_ledger_contact ON loyalty_ledger(contact_id, at, id);

ALTER TABLE contacts ADD COLUMN lead_status TEXT;
ALTER TABLE contacts ADD COLUMN lead_score BIGINT;
ALTER TABLE contacts ADD COLUMN needs_check BIGINT NOT NULL DEFAULT 0;
CREATE INDEX contacts_lead_score ON contacts(lead_score, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_needs_check ON contacts(needs_check) WHERE needs_check = 1 AND deleted_at IS NULL;
CREATE INDEX audit_log_record_at ON audit_log(record_id, at, id);
