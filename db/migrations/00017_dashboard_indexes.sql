-- +goose Up

-- The dashboard's charts count the last two weeks' decisions and alerts per
-- day: each an index range, not a scan of the tenant's history.
CREATE INDEX verification_requests_completed ON verification_requests (tenant_id, completed_at)
    WHERE completed_at IS NOT NULL;
CREATE INDEX aml_alerts_created ON aml_alerts (tenant_id, created_at);

-- +goose Down
DROP INDEX aml_alerts_created;
DROP INDEX verification_requests_completed;
