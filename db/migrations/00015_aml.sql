-- +goose Up

-- AML transaction monitoring: rules and every version of them, screened
-- transactions with their decisions, rule hits and run-time failures,
-- shadow runs, alerts with comments, a tenant's own lists of names and
-- accounts, and the exchange rates rules convert amounts with.

-- A tenant's AML revision: bumped by every change that alters what
-- screening does (a rule published, rolled back or deactivated, a list or
-- a rate edited), so that each server knows when the compiled rules it
-- keeps in memory are stale.
CREATE TABLE aml_state (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants(id),
    revision   bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A rule is its versions; active_version is the one screening uses (none
-- while the rule is a draft or deactivated).
CREATE TABLE aml_rules (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    active_version int,
    created_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aml_rules_tenant ON aml_rules (tenant_id, created_at);

-- Every version is kept. A version is edited in place only while it is a
-- draft nobody has proposed for publication; after that an edit makes the
-- next version.
CREATE TABLE aml_rule_versions (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    rule_id      uuid NOT NULL REFERENCES aml_rules(id),
    version      int NOT NULL CHECK (version > 0),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description  text NOT NULL DEFAULT '',
    scope        jsonb NOT NULL DEFAULT '{}',
    -- The form editor's kind and parameters when the rule was made with it.
    form         jsonb,
    expression   text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('WARN', 'REVIEW', 'BLOCK')),
    score        int NOT NULL CHECK (score BETWEEN 0 AND 100),
    -- sha256 of the definition: approval refuses a version that changed
    -- after it was proposed.
    digest       text NOT NULL,
    edited_by    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- When the version first became active.
    published_at timestamptz,
    PRIMARY KEY (rule_id, version)
);

-- Transactions screened through the API, each with its decision.
-- amount_units is the amount in 1/10,000 of its currency (exact: amounts
-- have at most four places) and amount_ref_units the amount in 1/10,000 of
-- a euro at the rate of the day it was screened, NULL when the tenant had
-- no rate for its currency: velocity reads these integers, which is what
-- keeps reading a window of history cheap, and sums across currencies add
-- the euro amounts.
CREATE TABLE aml_transactions (
    id                   uuid PRIMARY KEY,
    -- Insertion order. One customer's screenings run one at a time, so
    -- within a customer it is also commit order: a server that has read a
    -- customer's rows up to seq n reads only what came after.
    seq                  bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    tenant_id            uuid NOT NULL REFERENCES tenants(id),
    customer_id          uuid NOT NULL REFERENCES customers(id),
    transaction_ref      text NOT NULL,
    request_hash         bytea NOT NULL,
    type                 text NOT NULL,
    direction            text NOT NULL CHECK (direction IN ('IN', 'OUT')),
    amount               numeric(24, 4) NOT NULL CHECK (amount > 0),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_units         bigint NOT NULL,
    amount_ref_units     bigint,
    channel              text NOT NULL DEFAULT '',
    occurred_at          timestamptz NOT NULL,
    counterparty_name    text NOT NULL DEFAULT '',
    counterparty_country text NOT NULL DEFAULT '',
    counterparty_account text NOT NULL DEFAULT '',
    -- Who the counterparty is for velocity and "new counterparty": the
    -- normalised account when given, else the normalised name.
    counterparty_key     text NOT NULL DEFAULT '',
    decision             text NOT NULL CHECK (decision IN ('ALLOW', 'WARN', 'REVIEW', 'BLOCK')),
    score                int NOT NULL,
    triggered            jsonb NOT NULL DEFAULT '[]',
    notes                jsonb NOT NULL DEFAULT '[]',
    rules_evaluated      int NOT NULL DEFAULT 0,
    rules_failed         int NOT NULL DEFAULT 0,
    alert_id             uuid,
    trace_id             text NOT NULL DEFAULT '',
    screened_by          text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, transaction_ref)
);
-- Velocity reads one customer's window of time, never the whole history,
-- and once it has, only the rows added since.
CREATE INDEX aml_transactions_customer_time ON aml_transactions (tenant_id, customer_id, occurred_at);
CREATE INDEX aml_transactions_customer_seq ON aml_transactions (tenant_id, customer_id, seq);
CREATE INDEX aml_transactions_counterparty_time ON aml_transactions (tenant_id, counterparty_key, occurred_at)
    WHERE counterparty_key <> '';
CREATE INDEX aml_transactions_customer_counterparty ON aml_transactions (tenant_id, customer_id, counterparty_key, occurred_at)
    WHERE counterparty_key <> '';
CREATE INDEX aml_transactions_screened ON aml_transactions (tenant_id, created_at) INCLUDE (decision);

-- One row per rule that triggered on a screened transaction: the hit
-- counts and trends of the rules page. rule_key is the rule's id, or
-- limit:daily / limit:approval for a customer's own limits.
CREATE TABLE aml_rule_hits (
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    rule_key       text NOT NULL,
    version        int NOT NULL,
    transaction_id uuid NOT NULL,
    outcome        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aml_rule_hits_rule ON aml_rule_hits (tenant_id, rule_key, created_at);

-- A rule that failed while it ran (the other rules ran on).
CREATE TABLE aml_rule_errors (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    rule_id        uuid NOT NULL REFERENCES aml_rules(id),
    version        int NOT NULL,
    transaction_id uuid,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aml_rule_errors_rule ON aml_rule_errors (tenant_id, rule_id, created_at DESC);

-- A version run over stored transactions without effect: what it would
-- have triggered, beside the version in force over the same days.
CREATE TABLE aml_shadow_runs (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    rule_id        uuid NOT NULL REFERENCES aml_rules(id),
    version        int NOT NULL,
    days           int NOT NULL CHECK (days BETWEEN 1 AND 365),
    status         text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    period_from    timestamptz NOT NULL,
    period_to      timestamptz NOT NULL,
    total          int NOT NULL DEFAULT 0,
    processed      int NOT NULL DEFAULT 0,
    hits           int NOT NULL DEFAULT 0,
    customers      int NOT NULL DEFAULT 0,
    errors         int NOT NULL DEFAULT 0,
    active_version int,
    active_hits    int,
    by_day         jsonb NOT NULL DEFAULT '[]',
    examples       jsonb NOT NULL DEFAULT '[]',
    last_error     text NOT NULL DEFAULT '',
    requested_by   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX aml_shadow_runs_rule ON aml_shadow_runs (tenant_id, rule_id, created_at DESC);

-- REVIEW and BLOCK decisions raise alerts for analysts.
CREATE TABLE aml_alerts (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    customer_id    uuid NOT NULL REFERENCES customers(id),
    transaction_id uuid NOT NULL REFERENCES aml_transactions(id),
    decision       text NOT NULL CHECK (decision IN ('REVIEW', 'BLOCK')),
    severity       text NOT NULL CHECK (severity IN ('MEDIUM', 'HIGH')),
    score          int NOT NULL,
    rule_names     text[] NOT NULL DEFAULT '{}',
    amount         numeric(24, 4) NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL DEFAULT 'OPEN'
                   CHECK (status IN ('OPEN', 'ESCALATED', 'CLOSED_FALSE_POSITIVE', 'SAR_DRAFTED')),
    assignee_id    uuid,
    assignee_name  text,
    assigned_at    timestamptz,
    resolution     text NOT NULL DEFAULT '',
    sar_narrative  text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz
);
CREATE INDEX aml_alerts_queue ON aml_alerts (tenant_id, status, created_at);
CREATE INDEX aml_alerts_customer ON aml_alerts (tenant_id, customer_id, created_at);

CREATE TABLE aml_alert_comments (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    alert_id    uuid NOT NULL REFERENCES aml_alerts(id),
    author_id   text NOT NULL,
    author_name text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aml_alert_comments_alert ON aml_alert_comments (tenant_id, alert_id, created_at);

-- A tenant's own lists of names and accounts (a blocklist, mule accounts
-- found in investigations, ...), matched after normalisation.
CREATE TABLE aml_lists (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE aml_list_entries (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    list_id    uuid NOT NULL REFERENCES aml_lists(id),
    kind       text NOT NULL CHECK (kind IN ('NAME', 'ACCOUNT')),
    value      text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    normalized text NOT NULL,
    note       text NOT NULL DEFAULT '',
    added_by   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (list_id, kind, normalized)
);
CREATE INDEX aml_list_entries_list ON aml_list_entries (tenant_id, list_id, created_at);

-- What one unit of a currency is worth in euros, per tenant; a currency
-- without a row uses the built-in reference rate, if there is one.
CREATE TABLE aml_fx_rates (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    eur_per_unit numeric(24, 10) NOT NULL CHECK (eur_per_unit > 0),
    updated_by   text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, currency)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['aml_state', 'aml_rules', 'aml_rule_versions', 'aml_transactions', 'aml_rule_hits',
        'aml_rule_errors', 'aml_shadow_runs', 'aml_alerts', 'aml_alert_comments', 'aml_lists', 'aml_list_entries',
        'aml_fx_rates']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ciam_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Forward-only.
