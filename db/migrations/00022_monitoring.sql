-- +goose Up

-- When a customer was last screened by their categorisation's monitoring
-- (the monitoring parameter: DAILY, WEEKLY, MONTHLY); NULL: not yet.
ALTER TABLE customers ADD COLUMN monitored_at timestamptz;

-- +goose Down
-- Forward-only.
