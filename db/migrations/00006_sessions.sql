-- +goose Up

-- The last TOTP time step a customer's authenticator app was accepted for:
-- a code is good once, so a code seen over someone's shoulder cannot be
-- replayed within its 30-second window.
ALTER TABLE customer_credentials ADD COLUMN totp_last_step bigint;

-- Session lists on the customer page and "revoke all" read by customer;
-- refresh look-ups go by token hash (the primary key).
CREATE INDEX customer_sessions_active ON customer_sessions (tenant_id, customer_id) WHERE revoked_at IS NULL;

-- +goose Down
-- Forward-only.
