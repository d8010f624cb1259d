-- +goose Up
-- (When the publisher published a version is screening_list_versions.published,
-- from migration 00035.)

-- The age past which the screening lists page warns that a list in use is
-- out of date, per tenant, in days.
ALTER TABLE screening_settings ADD COLUMN max_list_age_days int NOT NULL DEFAULT 7
    CHECK (max_list_age_days BETWEEN 1 AND 365);
