-- +goose Up

-- What a list says about an entry beyond its names: identifiers (passport
-- and national id numbers, IMO numbers, BICs, wallet addresses, ...) as
-- "KIND:value" strings, normalised by the parser (see
-- internal/screening/identifier.go), and the date the publisher listed it.
ALTER TABLE screening_entries
    ADD COLUMN identifiers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN listed_on   text   NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE screening_entries DROP COLUMN identifiers, DROP COLUMN listed_on;
