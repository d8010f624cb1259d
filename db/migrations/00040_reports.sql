-- +goose Up

-- Reporting extracts (internal/report). A run is one extract of one report
-- definition (the definitions are files in the repository) to CSV or XLSX,
-- made by a job that saves its progress; the file is kept, sealed, in
-- chunks until expires_at, when a periodic job deletes it.
CREATE TABLE report_runs (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id),
    definition      text NOT NULL CHECK (definition ~ '^[a-z][a-z0-9_]{1,63}$'),
    format          text NOT NULL CHECK (format IN ('CSV', 'XLSX')),
    -- The filter values the run was made with, by filter key.
    filters         jsonb NOT NULL DEFAULT '{}',
    -- The roles whose view of customers' data (internal/pii) the file was
    -- masked for: only an employee who sees at least as much downloads it.
    roles           text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'EXPIRED')),
    total           bigint NOT NULL DEFAULT 0,
    processed       bigint NOT NULL DEFAULT 0,
    bytes           bigint NOT NULL DEFAULT 0,
    -- SHA-256 of the file, in hex, once done.
    sha256          text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT '',
    requested_by    text NOT NULL DEFAULT '',
    requested_by_id uuid,
    schedule_id     uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    expires_at      timestamptz
);
CREATE INDEX report_runs_tenant_created ON report_runs (tenant_id, created_at DESC);
CREATE INDEX report_runs_expiry ON report_runs (tenant_id, expires_at) WHERE status = 'DONE';

-- A run's file, sealed chunk by chunk (fieldcrypt, the run id and the
-- chunk's number bound into each seal).
CREATE TABLE report_chunks (
    run_id    uuid NOT NULL REFERENCES report_runs(id) ON DELETE CASCADE,
    seq       int NOT NULL,
    tenant_id uuid NOT NULL REFERENCES tenants(id),
    content   bytea NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Reports run on a schedule: a periodic job queues a run of each schedule
-- whose next_run_at has passed, masked for the roles of who set it up.
CREATE TABLE report_schedules (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    definition  text NOT NULL CHECK (definition ~ '^[a-z][a-z0-9_]{1,63}$'),
    format      text NOT NULL CHECK (format IN ('CSV', 'XLSX')),
    filters     jsonb NOT NULL DEFAULT '{}',
    every       text NOT NULL CHECK (every IN ('DAILY', 'WEEKLY', 'MONTHLY')),
    roles       text[] NOT NULL DEFAULT '{}',
    created_by  text NOT NULL DEFAULT '',
    is_active   boolean NOT NULL DEFAULT true,
    next_run_at timestamptz NOT NULL,
    last_run_id uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_schedules_due ON report_schedules (tenant_id, next_run_at) WHERE is_active;

-- How long a finished extract is kept for download, and the reporting
-- entity's goAML identifiers (tenant.Reporting).
ALTER TABLE tenant_settings
    ADD COLUMN report_retention interval NOT NULL DEFAULT '7 days',
    ADD COLUMN goaml            jsonb NOT NULL DEFAULT '{}';

-- Extracts read each view in pages in id order.
CREATE INDEX IF NOT EXISTS customers_tenant_id_order ON customers (tenant_id, id);
CREATE INDEX IF NOT EXISTS screening_hits_tenant_id_order ON screening_hits (tenant_id, id);
CREATE INDEX IF NOT EXISTS aml_alerts_tenant_id_order ON aml_alerts (tenant_id, id);
CREATE INDEX IF NOT EXISTS verification_requests_tenant_id_order ON verification_requests (tenant_id, id);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_runs', 'report_chunks', 'report_schedules']
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
