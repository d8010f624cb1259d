-- +goose Up

-- Four-eyes: a maker proposes a change, a different employee approves or
-- rejects it; approval applies it in the same transaction.
CREATE TABLE change_requests (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id),
    kind            text NOT NULL,
    target_type     text NOT NULL,
    target_id       text NOT NULL,
    title           text NOT NULL,
    payload         jsonb NOT NULL,
    before          jsonb,
    after           jsonb,
    -- A fingerprint of the target when the request was made: approval is
    -- refused as stale when the target has changed since.
    target_version  text NOT NULL,
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'STALE')),
    maker_type      text NOT NULL,
    maker_id        text NOT NULL,
    maker_name      text NOT NULL,
    maker_reason    text NOT NULL DEFAULT '',
    checker_id      text,
    checker_name    text,
    decision_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
CREATE INDEX change_requests_pending ON change_requests (tenant_id, status, created_at);
CREATE INDEX change_requests_target ON change_requests (tenant_id, target_type, target_id, status);
ALTER TABLE change_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON change_requests USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON change_requests TO ciam_app;

-- +goose Down
-- Forward-only.
