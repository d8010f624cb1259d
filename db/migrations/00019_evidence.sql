-- +goose Up

-- What the server itself read from a document's bytes (format facts, image
-- quality figures, OCR text, the machine-readable zone with every check
-- digit, faces, signals of editing), stored with the document for the
-- checks and the reviewers, sealed like the content (it is read from it).
-- NULL: not read (documents from before this migration, or the OCR tools
-- were missing).
ALTER TABLE documents ADD COLUMN evidence bytea;

-- A categorisation's TRANSACTION_LIMITS become the wallet's limits at
-- activation: besides the daily limit, a monthly one and one for a single
-- transaction.
ALTER TABLE wallets
    ADD COLUMN monthly_limit            numeric(18, 2),
    ADD COLUMN single_transaction_limit numeric(18, 2);

-- Guide 004's "Automatic Activation": when on, an approval activates the
-- account with the tenant's default activation options.
ALTER TABLE tenant_settings ADD COLUMN auto_activate boolean NOT NULL DEFAULT false;

-- +goose Down
-- Forward-only.
