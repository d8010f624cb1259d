-- +goose Up
-- When the publisher published a list version, where its file says so (the
-- UN list's dateGenerated); NULL when the file carries no date, and the
-- load date stands in for it.
ALTER TABLE screening_list_versions ADD COLUMN published_at timestamptz;

-- The age past which the screening lists page warns that a list in use is
-- out of date, per tenant, in days.
ALTER TABLE screening_settings ADD COLUMN max_list_age_days int NOT NULL DEFAULT 7
    CHECK (max_list_age_days BETWEEN 1 AND 365);
