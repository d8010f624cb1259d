-- +goose Up

-- Regulatory packs (internal/compliance/packs) enabled by a tenant for
-- countries, with the tenant's overrides of the pack's values. A country
-- is under at most one pack of a tenant. Rows change only through an
-- approved change request (compliance.pack.set). pack_version is the
-- version of the pack file the enablement was approved against;
-- overrides_hash is the SHA-256 of the overrides as stored, recorded with
-- each KYC decision made under them.
CREATE TABLE compliance_packs (
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    pack_id        text NOT NULL CHECK (pack_id <> ''),
    pack_version   text NOT NULL,
    countries      text[] NOT NULL DEFAULT '{}',
    overrides      jsonb NOT NULL DEFAULT '{}',
    overrides_hash text NOT NULL,
    updated_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pack_id)
);

-- A custom compliance field's value that does not identify the person
-- (those that do are virtual documents, below). A sensitive value is
-- sealed with the field keys (AAD: tenant, customer and field) and
-- value_text is empty; masked is what audit and lists show of it.
CREATE TABLE compliance_field_values (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    customer_id  uuid NOT NULL REFERENCES customers(id),
    field        text NOT NULL CHECK (field <> ''),
    value_text   text NOT NULL DEFAULT '',
    value_sealed bytea,
    masked       text NOT NULL DEFAULT '',
    key_id       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id, field)
);

-- A virtual document given as a custom compliance field (a CPF, a PAN, an
-- SSN) names the field; '' for those uploaded as documents.
ALTER TABLE virtual_documents ADD COLUMN compliance_field text NOT NULL DEFAULT '';

-- The pack in force when a verification was decided: its id, version and
-- the hash of the tenant's overrides ({} when no pack covers the country).
ALTER TABLE verification_requests ADD COLUMN compliance_pack jsonb;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['compliance_packs', 'compliance_field_values']
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
