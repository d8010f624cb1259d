-- +goose Up

-- The server acts as ciam_app: it owns nothing and cannot bypass row-level
-- security. Whoever runs the migrations owns the tables.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ciam_app') THEN
        CREATE ROLE ciam_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
    EXECUTE format('GRANT ciam_app TO %I', current_user);
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO ciam_app;
-- readiness compares the applied migrations with the embedded ones.
GRANT SELECT ON goose_db_version TO ciam_app;

-- current_tenant() is the tenant the current transaction acts for; NULL when
-- none was set, which matches no tenant-owned row.
-- +goose StatementBegin
CREATE FUNCTION current_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
-- +goose StatementEnd

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Tenants are platform data: every tenant may be resolved by slug, only the
-- platform operator's code path creates them.
GRANT SELECT, INSERT, UPDATE ON tenants TO ciam_app;

CREATE TABLE staff (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    email         text NOT NULL,
    display_name  text NOT NULL,
    status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DEACTIVATED')),
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_tenant_email ON staff (tenant_id, lower(email));
-- An e-mail address names one employee across the platform: that is how a
-- first sign-in is linked to its employee record.
CREATE UNIQUE INDEX staff_email ON staff (lower(email));

CREATE TABLE staff_identities (
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    staff_id   uuid NOT NULL REFERENCES staff(id),
    issuer     text NOT NULL,
    subject    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX staff_identities_staff ON staff_identities (staff_id);

CREATE TABLE staff_roles (
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    staff_id   uuid NOT NULL REFERENCES staff(id),
    role       text NOT NULL CHECK (role IN ('ANALYST', 'SENIOR_REVIEWER', 'TENANT_ADMIN', 'AUDITOR', 'SUPPORT', 'PLATFORM_OPERATOR')),
    granted_by uuid,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, role)
);

-- The audit trail. Append-only: the app may only INSERT and SELECT, and a
-- trigger refuses UPDATE, DELETE and TRUNCATE from anyone. Each record holds
-- the hash of the one before it in its tenant's chain.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants(id),
    chain_id    uuid NOT NULL,
    seq         bigint NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL CHECK (actor_type IN ('EMPLOYEE', 'API_CLIENT', 'CUSTOMER', 'SYSTEM', 'ANONYMOUS')),
    actor_id    text NOT NULL DEFAULT '',
    actor_name  text NOT NULL DEFAULT '',
    trace_id    text NOT NULL DEFAULT '',
    action      text NOT NULL,
    entity_type text NOT NULL DEFAULT '',
    entity_id   text NOT NULL DEFAULT '',
    reason_code text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    UNIQUE (chain_id, seq)
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_type, entity_id);

CREATE TABLE audit_chain_heads (
    chain_id uuid PRIMARY KEY,
    seq      bigint NOT NULL,
    hash     bytea NOT NULL
);

-- audit_record_hash is the one definition of a record's hash, used when the
-- record is written and again by `ciam audit verify`.
-- +goose StatementBegin
CREATE FUNCTION audit_record_hash(r audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(
        r.prev_hash || convert_to(concat_ws(E'\x1f',
            r.id::text, coalesce(r.tenant_id::text, ''), r.chain_id::text, r.seq::text,
            to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            r.actor_type, r.actor_id, r.actor_name, r.trace_id, r.action,
            r.entity_type, r.entity_id, r.reason_code,
            coalesce(r.before::text, 'null'), coalesce(r.after::text, 'null')
        ), 'UTF8'))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    head audit_chain_heads%ROWTYPE;
BEGIN
    NEW.chain_id := coalesce(NEW.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
    NEW.occurred_at := coalesce(NEW.occurred_at, now());
    INSERT INTO audit_chain_heads (chain_id, seq, hash)
        VALUES (NEW.chain_id, 0, '\x'::bytea)
        ON CONFLICT (chain_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE chain_id = NEW.chain_id FOR UPDATE;
    NEW.seq := head.seq + 1;
    NEW.prev_hash := head.hash;
    NEW.hash := audit_record_hash(NEW);
    UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain_id = NEW.chain_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- +goose StatementBegin
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Business events, written in the same transaction as the change they
-- describe (transactional outbox). position orders them for replay.
CREATE TABLE events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    position    bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    type        text NOT NULL,
    version     int NOT NULL DEFAULT 1,
    entity_type text NOT NULL DEFAULT '',
    entity_id   text NOT NULL DEFAULT '',
    trace_id    text NOT NULL DEFAULT '',
    payload     jsonb NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tenant_position ON events (tenant_id, position);

-- Row-level security: the second wall behind every query's tenant filter.
ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON staff USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON staff_identities USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON staff_roles USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON events USING (tenant_id = current_tenant());
-- Records of no tenant (a sign-in by someone no tenant knows) may be written
-- by anyone and read only by the owner (`ciam audit verify`).
CREATE POLICY tenant_read ON audit_log FOR SELECT USING (tenant_id = current_tenant());
CREATE POLICY tenant_write ON audit_log FOR INSERT
    WITH CHECK (tenant_id IS NULL OR tenant_id = current_tenant());

GRANT SELECT, INSERT, UPDATE, DELETE ON staff, staff_identities, staff_roles TO ciam_app;
GRANT SELECT, INSERT ON audit_log, events TO ciam_app;

-- Sign-in happens before the tenant is known: these two functions are the
-- only way across the wall, and each answers one narrow question.
-- +goose StatementBegin
CREATE FUNCTION staff_for_identity(p_issuer text, p_subject text, p_email text)
RETURNS TABLE (staff_id uuid, tenant_id uuid, linked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT i.staff_id, i.tenant_id, true
      FROM staff_identities i
     WHERE i.issuer = p_issuer AND i.subject = p_subject
    UNION ALL
    SELECT s.id, s.tenant_id, false
      FROM staff s
     WHERE p_email <> '' AND lower(s.email) = lower(p_email)
       AND NOT EXISTS (SELECT 1 FROM staff_identities i WHERE i.issuer = p_issuer AND i.subject = p_subject)
       AND NOT EXISTS (SELECT 1 FROM staff_identities i2 WHERE i2.staff_id = s.id AND i2.issuer = p_issuer)
    LIMIT 1
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION staff_for_identity(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_for_identity(text, text, text) TO ciam_app;

-- +goose Down
-- Forward-only: migrations are never rolled back.
