-- +goose Up

-- A hit is on one subject, who may be on several lists: the entries found
-- to be the same subject (a shared identifier, or the same name and exact
-- date of birth; see internal/screening/resolve.go), the hit's own entry
-- first, as a JSON array of {source, entryId, listKind, listVersion, name,
-- score, status}. Hits made before hold only their own entry, read as such.
ALTER TABLE screening_hits ADD COLUMN sources jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE screening_hits DROP COLUMN sources;
