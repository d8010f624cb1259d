-- +goose Up

-- Virtual documents (guide 002: data such as an SSN, a TIN, a passport
-- number or a national id) and social documents (a profile URL), added
-- through the upload of a verification and listed in the user object.
-- The value is sealed with the field keys (AAD: the row's id), never kept
-- in clear; value_mac is an HMAC of the normalised value under a key
-- derived from the field key, so the same value again for the customer
-- and sub-type is found (and refused) without opening every row, and a
-- reader of the table alone cannot test guesses against it. masked is what
-- the user object and the audit trail show of a virtual document: its last
-- four characters ("•••• 6789"); "" for a social document, whose URL is
-- opened to be shown. status is SUBMITTED|VALID when the format was valid:
-- nothing is checked against a registry.
CREATE TABLE virtual_documents (
    id                      uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants(id),
    customer_id             uuid NOT NULL REFERENCES customers(id),
    verification_request_id uuid NOT NULL REFERENCES verification_requests(id),
    kind                    text NOT NULL CHECK (kind IN ('VIRTUAL_DOCUMENT', 'SOCIAL_DOCUMENT')),
    sub_type                text NOT NULL CHECK (sub_type <> ''),
    country                 text NOT NULL DEFAULT '',
    value_sealed            bytea NOT NULL,
    value_mac               bytea NOT NULL,
    masked                  text NOT NULL DEFAULT '',
    status                  text NOT NULL DEFAULT 'SUBMITTED|VALID',
    key_id                  text NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, customer_id, kind, sub_type, value_mac)
);
CREATE INDEX virtual_documents_customer ON virtual_documents (tenant_id, customer_id, created_at DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['virtual_documents']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ciam_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Forward-only.
