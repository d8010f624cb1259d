-- +goose Up

-- A secret the portal shows once (an API client's secret, a webhook's
-- signing secret) waits here, sealed, between the POST that made it and
-- the page the POST redirects to: that page takes it (the row is deleted
-- as it is read), so a reload shows it no more and repeats nothing. It
-- belongs to one staff session and one kind of page, and expires within
-- minutes if the page is never opened.
CREATE TABLE portal_reveals (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    session_id uuid NOT NULL REFERENCES staff_sessions(id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,31}$'),
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX portal_reveals_session ON portal_reveals (tenant_id, session_id, kind);

ALTER TABLE portal_reveals ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON portal_reveals USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, DELETE ON portal_reveals TO ciam_app;

-- +goose Down
-- Forward-only.
