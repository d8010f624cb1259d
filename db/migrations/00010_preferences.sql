-- +goose Up

-- The organisation's locale for dates and numbers in the portal and in
-- messages to customers.
ALTER TABLE tenant_settings ADD COLUMN locale text NOT NULL DEFAULT 'en-GB' CHECK (locale ~ '^[a-z]{2}(-[A-Z]{2})?$');

-- +goose Down
-- Forward-only.
