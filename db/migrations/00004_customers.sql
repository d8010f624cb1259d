-- +goose Up

-- Organisation settings the customer flows read. The portal's preferences
-- and password policy pages edit them (under four-eyes where the issue says).
CREATE TABLE tenant_settings (
    tenant_id              uuid PRIMARY KEY REFERENCES tenants(id),
    min_customer_age       int NOT NULL DEFAULT 18 CHECK (min_customer_age BETWEEN 0 AND 120),
    login_otp_required     boolean NOT NULL DEFAULT false,
    login_max_failures     int NOT NULL DEFAULT 5 CHECK (login_max_failures BETWEEN 1 AND 100),
    login_lockout          interval NOT NULL DEFAULT '15 minutes',
    -- Password rules; see credential.PasswordPolicy for the keys.
    password_policy        jsonb NOT NULL DEFAULT '{}',
    pin_length             int NOT NULL DEFAULT 4 CHECK (pin_length BETWEEN 4 AND 8),
    pin_max_failures       int NOT NULL DEFAULT 3 CHECK (pin_max_failures BETWEEN 1 AND 20),
    otp_ttl                interval NOT NULL DEFAULT '5 minutes',
    otp_max_attempts       int NOT NULL DEFAULT 5 CHECK (otp_max_attempts BETWEEN 1 AND 20),
    access_token_ttl       interval NOT NULL DEFAULT '15 minutes',
    refresh_token_ttl      interval NOT NULL DEFAULT '30 days',
    country                text NOT NULL DEFAULT 'GB' CHECK (country ~ '^[A-Z]{2}$'),
    currency               text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    bank_code              text NOT NULL DEFAULT '',
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Categorisation: categories, the features a category may carry, and each
-- feature's parameters.
CREATE TABLE customer_categories (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    name        text NOT NULL CHECK (name ~ '^[A-Z][A-Z0-9_]{1,63}$'),
    description text NOT NULL DEFAULT '',
    risk_level  text CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH')),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE category_features (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    code        text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, code)
);

CREATE TABLE category_feature_links (
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    category_id uuid NOT NULL REFERENCES customer_categories(id) ON DELETE CASCADE,
    feature_id  uuid NOT NULL REFERENCES category_features(id) ON DELETE CASCADE,
    PRIMARY KEY (category_id, feature_id)
);

CREATE TABLE feature_parameters (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    feature_id     uuid NOT NULL REFERENCES category_features(id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]{0,63}$'),
    mandatory      boolean NOT NULL DEFAULT false,
    -- Empty means any value.
    allowed_values text[] NOT NULL DEFAULT '{}',
    position       int NOT NULL DEFAULT 0,
    UNIQUE (feature_id, name)
);

-- Customers (individuals).
CREATE TABLE customers (
    id                     uuid PRIMARY KEY,
    tenant_id              uuid NOT NULL REFERENCES tenants(id),
    email                  text NOT NULL,
    first_name             text NOT NULL,
    middle_name            text NOT NULL DEFAULT '',
    last_name              text NOT NULL,
    date_of_birth          date NOT NULL,
    place_of_birth         text NOT NULL DEFAULT '',
    nationality            text NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
    phone_number           text NOT NULL DEFAULT '',
    alternate_phone_number text NOT NULL DEFAULT '',
    address                jsonb NOT NULL DEFAULT '{}',
    occupation             text NOT NULL DEFAULT '',
    employer_name          text NOT NULL DEFAULT '',
    annual_income          numeric(18, 2),
    source_of_funds        text NOT NULL DEFAULT '',
    status                 text NOT NULL CHECK (status IN ('PENDING_VERIFICATION', 'ACTIVE', 'INACTIVE', 'LOCKED', 'CLOSED')),
    -- What the status was before a lock or deactivation, to restore it.
    previous_status        text,
    permission             text NOT NULL CHECK (permission IN ('UNVERIFIED', 'RECEIVE', 'SEND-AND-RECEIVE', 'LOCKED', 'CLOSED', 'MAKE-IT-GO-AWAY')),
    previous_permission    text,
    risk_level             text NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH')),
    risk_reasons           text[] NOT NULL DEFAULT '{}',
    category_id            uuid REFERENCES customer_categories(id),
    categorization         jsonb,
    email_verified_at      timestamptz,
    registration_ip        text NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_tenant_email ON customers (tenant_id, lower(email));
CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at DESC, id);
CREATE INDEX customers_tenant_name ON customers (tenant_id, lower(last_name), lower(first_name));
CREATE INDEX customers_tenant_phone ON customers (tenant_id, phone_number);

-- A customer's login: one per customer; its id is the "userId" of the API.
CREATE TABLE customer_credentials (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants(id),
    customer_id          uuid NOT NULL UNIQUE REFERENCES customers(id),
    password_hash        text NOT NULL,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    status               text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
    failed_logins        int NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    pin_hash             text,
    pin_set_at           timestamptz,
    pin_failures         int NOT NULL DEFAULT 0,
    pin_locked           boolean NOT NULL DEFAULT false,
    totp_secret          bytea,
    totp_confirmed_at    timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- Earlier password hashes, for the policy's history rule.
CREATE TABLE password_history (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    credential_id uuid NOT NULL REFERENCES customer_credentials(id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_credential ON password_history (credential_id, created_at DESC);

CREATE TABLE wallets (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    customer_id  uuid NOT NULL REFERENCES customers(id),
    status       text NOT NULL CHECK (status IN ('INACTIVE', 'ACTIVE', 'FROZEN', 'CLOSED')),
    currency     text CHECK (currency ~ '^[A-Z]{3}$'),
    iban         text UNIQUE,
    daily_limit            numeric(18, 2),
    requires_approval_above numeric(18, 2),
    limits_source text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz
);
CREATE INDEX wallets_customer ON wallets (tenant_id, customer_id);

-- One verification per onboarding attempt; the KYC capability fills it in.
CREATE TABLE verification_requests (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    customer_id  uuid NOT NULL REFERENCES customers(id),
    status       text NOT NULL,
    risk_level   text NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verification_requests_customer ON verification_requests (tenant_id, customer_id, created_at DESC);

CREATE TABLE email_verification_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    customer_id uuid NOT NULL REFERENCES customers(id),
    token_hash  bytea PRIMARY KEY,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A customer session is a refresh-token family: refreshing rotates the
-- token; presenting a used one revokes the whole family.
CREATE TABLE customer_sessions (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    customer_id    uuid NOT NULL REFERENCES customers(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text,
    ip             text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT ''
);
CREATE INDEX customer_sessions_customer ON customer_sessions (tenant_id, customer_id, created_at DESC);

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    session_id  uuid NOT NULL REFERENCES customer_sessions(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- One-time codes (login, PIN reset, high-value actions). Only the hash is
-- kept; the code reaches the customer through the outbox.
CREATE TABLE otp_challenges (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    customer_id  uuid NOT NULL REFERENCES customers(id),
    purpose      text NOT NULL CHECK (purpose IN ('LOGIN', 'PIN_RESET', 'HIGH_VALUE_ACTION', 'EMAIL_CHANGE', 'PHONE_CHANGE')),
    channel      text NOT NULL CHECK (channel IN ('SMS', 'EMAIL', 'TOTP')),
    code_hash    bytea,
    attempts     int NOT NULL DEFAULT 0,
    max_attempts int NOT NULL,
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_challenges_customer ON otp_challenges (tenant_id, customer_id, created_at DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_settings', 'customer_categories', 'category_features', 'category_feature_links',
        'feature_parameters', 'customers', 'customer_credentials', 'password_history', 'wallets',
        'verification_requests', 'email_verification_tokens', 'customer_sessions', 'refresh_tokens', 'otp_challenges']
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
