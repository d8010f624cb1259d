-- +goose Up

-- Subject access exports (GDPR art. 15; internal/report/subject.go): one
-- ZIP of everything held about one customer, asked for by one employee,
-- approved by another (a change request whose payload names the export's
-- id, so that approving cannot make two), made by a job that saves its
-- progress, kept sealed in chunks until expires_at.
CREATE TABLE subject_exports (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    customer_id       uuid NOT NULL REFERENCES customers(id),
    status            text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'EXPIRED')),
    -- Progress: the parts of the export written so far, of total.
    total             bigint NOT NULL DEFAULT 0,
    processed         bigint NOT NULL DEFAULT 0,
    files             int NOT NULL DEFAULT 0,
    bytes             bigint NOT NULL DEFAULT 0,
    -- SHA-256 of the ZIP, in hex, once done.
    sha256            text NOT NULL DEFAULT '',
    last_error        text NOT NULL DEFAULT '',
    requested_by      text NOT NULL DEFAULT '',
    requested_by_id   text NOT NULL DEFAULT '',
    approved_by       text NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    expires_at        timestamptz
);
CREATE INDEX subject_exports_customer ON subject_exports (tenant_id, customer_id, created_at DESC);
CREATE INDEX subject_exports_expiry ON subject_exports (tenant_id, expires_at) WHERE status = 'DONE';

-- An export's ZIP, sealed chunk by chunk (fieldcrypt, the export id and
-- the chunk's number bound into each seal).
CREATE TABLE subject_export_chunks (
    export_id uuid NOT NULL REFERENCES subject_exports(id) ON DELETE CASCADE,
    seq       int NOT NULL,
    tenant_id uuid NOT NULL REFERENCES tenants(id),
    content   bytea NOT NULL,
    PRIMARY KEY (export_id, seq)
);

-- Events about an entity, for the export (internal/event.About).
CREATE INDEX IF NOT EXISTS events_tenant_entity ON events (tenant_id, entity_id, tenant_seq);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['subject_exports', 'subject_export_chunks']
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
