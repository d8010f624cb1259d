-- +goose Up

-- Crypto-shredding (internal/shred): each customer's data key, random, kept
-- sealed under the field keys. Personal values in records that cannot be
-- rewritten (audit before/after states, event payloads) are sealed under
-- it; erasing a customer destroys it (sealed_key becomes NULL), so those
-- values cannot be read again while the records, and the audit hash chain
-- over them, stay as they were. A key is made when a customer's first
-- personal value is sealed (registration, or the first change of a
-- customer registered before this migration).
CREATE TABLE customer_keys (
    customer_id  uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    sealed_key   bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((sealed_key IS NULL) = (destroyed_at IS NOT NULL)),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

-- Legal holds a compliance officer sets on a customer: while one is open
-- the retention job neither deletes the customer's documents nor erases
-- the customer. Releasing keeps the row, with who released it and why.
CREATE TABLE legal_holds (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants(id),
    customer_id      uuid NOT NULL,
    reason           text NOT NULL CHECK (reason <> ''),
    set_by           text NOT NULL,
    set_by_name      text NOT NULL DEFAULT '',
    set_at           timestamptz NOT NULL,
    released_by      text,
    released_by_name text,
    released_reason  text,
    released_at      timestamptz,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE UNIQUE INDEX legal_holds_open ON legal_holds (tenant_id, customer_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_customer ON legal_holds (tenant_id, customer_id, set_at DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customer_keys', 'legal_holds']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO ciam_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- Events written before customers had data keys hold their personal
-- values in clear: erasure overwrites those values (only the payload may
-- change; the events stay).
GRANT UPDATE (payload) ON events TO ciam_app;

-- Retention periods of the default policy (internal/retention): documents
-- are deleted this many days after their upload, and a closed customer's
-- personal data is erased this many days after the closing. Five years by
-- default, the AML directives' period.
ALTER TABLE tenant_settings
    ADD COLUMN retention_documents_days int NOT NULL DEFAULT 1825 CHECK (retention_documents_days BETWEEN 30 AND 36500),
    ADD COLUMN retention_closed_days    int NOT NULL DEFAULT 1825 CHECK (retention_closed_days BETWEEN 30 AND 36500);

-- When a customer was closed (the retention period of a closed customer
-- runs from it) and erased. Customers closed before this migration take
-- their last change as the closing.
ALTER TABLE customers ADD COLUMN closed_at timestamptz, ADD COLUMN erased_at timestamptz;
UPDATE customers SET closed_at = updated_at WHERE status = 'CLOSED';
ALTER TABLE customers DROP CONSTRAINT customers_status_check;
ALTER TABLE customers ADD CONSTRAINT customers_status_check
    CHECK (status IN ('PENDING_VERIFICATION', 'ACTIVE', 'INACTIVE', 'LOCKED', 'CLOSED', 'ERASED'));
CREATE INDEX customers_tenant_closed ON customers (tenant_id, closed_at) WHERE status = 'CLOSED';
CREATE INDEX documents_tenant_created ON documents (tenant_id, created_at);

-- +goose Down
-- Forward-only.
