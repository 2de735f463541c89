-- The customer history: activities, pipelines and deals, products and orders,
-- tickets and feedback, the loyalty ledger and the stage history of deals; lead
-- fields and the review marker of contacts. Its twin is the other dialect's 0004.

CREATE TABLE activities (
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C",
    contact_id UUID,
    organization_id UUID,
    deal_id UUID,
    assignee_id UUID,
    due_date DATE,
    starts_at TIMESTAMPTZ,
    happened_at TIMESTAMPTZ,
    done BIGINT,
    priority TEXT COLLATE "C"
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
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL
);
CREATE INDEX pipelines_sort_name ON pipelines(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_created_at ON pipelines(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_updated_at ON pipelines(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX pipelines_trash ON pipelines(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE deals (
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    pipeline_id UUID,
    stage_id UUID,
    status TEXT COLLATE "C",
    value_minor BIGINT,
    currency TEXT COLLATE "C",
    expected_close DATE,
    probability BIGINT,
    owner_id UUID,
    contact_id UUID,
    organization_id UUID,
    lost_reason TEXT COLLATE "C"
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
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    parent_id UUID
);
CREATE INDEX product_categories_sort_name ON product_categories(sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_created_at ON product_categories(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_updated_at ON product_categories(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_parent_id_sort_name ON product_categories(parent_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX product_categories_trash ON product_categories(deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE products (
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    sku TEXT COLLATE "C",
    category_id UUID,
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
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    number TEXT COLLATE "C",
    ordered_on DATE,
    status TEXT COLLATE "C",
    channel TEXT COLLATE "C",
    currency TEXT COLLATE "C",
    gross_minor BIGINT,
    contact_id UUID,
    organization_id UUID,
    happened_at TIMESTAMPTZ
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
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C",
    priority TEXT COLLATE "C",
    channel TEXT COLLATE "C",
    assignee_id UUID,
    contact_id UUID,
    organization_id UUID,
    due_at TIMESTAMPTZ
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
    id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_by UUID,
    updated_by UUID,
    data TEXT NOT NULL,
    sort_name TEXT COLLATE "C" NOT NULL,
    contact_id UUID,
    nps BIGINT,
    rating BIGINT,
    given_on DATE,
    happened_at TIMESTAMPTZ
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
    id UUID PRIMARY KEY NOT NULL,
    deal_id UUID NOT NULL,
    pipeline_id UUID NOT NULL,
    stage_id UUID NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    actor_id UUID
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, entered_at);
CREATE INDEX deal_stage_history_pipeline ON deal_stage_history(pipeline_id, entered_at);

-- Loyalty points per contact: an append-only ledger; the balance is its sum.
CREATE TABLE loyalty_ledger (
    id UUID PRIMARY KEY NOT NULL,
    contact_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    reason TEXT NOT NULL,
    order_id UUID,
    actor_id UUID,
    actor_name TEXT NOT NULL
);
CREATE INDEX loyalty_ledger_contact ON loyalty_ledger(contact_id, at, id);

ALTER TABLE contacts ADD COLUMN lead_status TEXT COLLATE "C";
ALTER TABLE contacts ADD COLUMN lead_score BIGINT;
ALTER TABLE contacts ADD COLUMN needs_check BIGINT NOT NULL DEFAULT 0;
CREATE INDEX contacts_lead_score ON contacts(lead_score, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_needs_check ON contacts(needs_check) WHERE needs_check = 1 AND deleted_at IS NULL;
CREATE INDEX audit_log_record_at ON audit_log(record_id, at, id);
