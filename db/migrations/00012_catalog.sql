-- +goose Up

-- Fee rules: what a transaction costs. Every dimension is optional: an
-- empty string matches any value. The most specific matching rule in
-- effect wins (internal/catalog documents the order).
CREATE TABLE fee_rules (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    name              text NOT NULL,
    transaction_type  text NOT NULL DEFAULT '',
    country           text NOT NULL DEFAULT '',
    currency          text NOT NULL DEFAULT '',
    channel           text NOT NULL DEFAULT '',
    customer_category text NOT NULL DEFAULT '',
    fixed_amount      numeric(20, 4) NOT NULL DEFAULT 0 CHECK (fixed_amount >= 0),
    -- Percent of the amount: 1.5 is 1.5 %.
    percentage        numeric(7, 4) NOT NULL DEFAULT 0 CHECK (percentage >= 0 AND percentage <= 100),
    minimum_fee       numeric(20, 4) CHECK (minimum_fee >= 0),
    maximum_fee       numeric(20, 4) CHECK (maximum_fee >= 0),
    effective_from    timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (minimum_fee IS NULL OR maximum_fee IS NULL OR minimum_fee <= maximum_fee)
);
-- Quotes look rules up by tenant and transaction type first.
CREATE INDEX fee_rules_lookup ON fee_rules (tenant_id, transaction_type, effective_from) WHERE status = 'ACTIVE';
CREATE INDEX fee_rules_name ON fee_rules (tenant_id, lower(name));

-- Amount bands of a rule, each with its own fixed part and percentage:
-- from_amount inclusive, up_to exclusive (NULL: no upper bound).
CREATE TABLE fee_tiers (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    rule_id     uuid NOT NULL REFERENCES fee_rules(id) ON DELETE CASCADE,
    position    int NOT NULL,
    from_amount numeric(20, 4) NOT NULL CHECK (from_amount >= 0),
    up_to       numeric(20, 4),
    fixed_amount numeric(20, 4) NOT NULL DEFAULT 0 CHECK (fixed_amount >= 0),
    percentage  numeric(7, 4) NOT NULL DEFAULT 0 CHECK (percentage >= 0 AND percentage <= 100),
    CHECK (up_to IS NULL OR up_to > from_amount),
    UNIQUE (rule_id, position)
);

-- Branches, pay points, agents and digital points of service.
CREATE TABLE branches (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    code          text NOT NULL,
    name          text NOT NULL,
    type          text NOT NULL CHECK (type IN ('BRANCH', 'PAY_POINT', 'AGENT', 'DIGITAL')),
    status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    street        text NOT NULL DEFAULT '',
    city          text NOT NULL DEFAULT '',
    region        text NOT NULL DEFAULT '',
    postal_code   text NOT NULL DEFAULT '',
    country       text NOT NULL DEFAULT '',
    -- WGS 84 degrees; both or neither (a digital point has no place).
    latitude      double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision CHECK (longitude BETWEEN -180 AND 180),
    -- {"MON": ["09:00-12:30", "13:30-17:00"], ...}; a missing day is closed.
    opening_hours jsonb NOT NULL DEFAULT '{}',
    services      text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    UNIQUE (tenant_id, code)
);
-- "Near a place": a bounding box on latitude then longitude narrows the
-- active branches before distances are computed.
CREATE INDEX branches_near ON branches (tenant_id, latitude, longitude) WHERE status = 'ACTIVE' AND latitude IS NOT NULL;
CREATE INDEX branches_name ON branches (tenant_id, lower(name));

-- Connectors: the tenant's instances of outside services, with their
-- configuration, a sealed secret and the last health check.
CREATE TABLE connectors (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    type              text NOT NULL CHECK (type IN ('KYC_PROVIDER', 'SANCTIONS_SOURCE', 'SMS_SENDER', 'EMAIL_SENDER', 'PAYMENT_RAIL', 'WEBHOOK')),
    name              text NOT NULL,
    config            jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'DISABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
    -- Sealed with the field encryption key, bound to the connector; never
    -- shown again. secret_hint is what the portal may show of it.
    secret            bytea,
    secret_hint       text NOT NULL DEFAULT '',
    secret_set_at     timestamptz,
    health            text NOT NULL DEFAULT 'UNKNOWN' CHECK (health IN ('UNKNOWN', 'HEALTHY', 'UNHEALTHY')),
    health_checked_at timestamptz,
    health_latency_ms int,
    health_detail     text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX connectors_type ON connectors (tenant_id, type);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fee_rules', 'fee_tiers', 'branches', 'connectors']
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
