-- +goose Up

-- A verification request's progress and outcome.
ALTER TABLE verification_requests
    ADD COLUMN verification_method text CHECK (verification_method IN ('AUTOMATED', 'MANUAL')),
    ADD COLUMN reasons_for_review  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN assigned_to         text,
    ADD COLUMN assignee_id         uuid,
    ADD COLUMN assigned_at         timestamptz,
    ADD COLUMN rejected_uploads    int NOT NULL DEFAULT 0,
    ADD COLUMN locked              boolean NOT NULL DEFAULT false,
    ADD COLUMN checks_state        text NOT NULL DEFAULT 'NOT_STARTED' CHECK (checks_state IN ('NOT_STARTED', 'QUEUED', 'RUNNING', 'DONE')),
    ADD COLUMN decision            text CHECK (decision IN ('APPROVE', 'REJECT', 'REQUEST_MORE_INFO')),
    ADD COLUMN decided_by          uuid,
    ADD COLUMN decided_by_name     text,
    ADD COLUMN reviewer_notes      text,
    ADD COLUMN additional_checks   jsonb,
    ADD COLUMN risk_mitigation     jsonb,
    ADD COLUMN completed_at        timestamptz,
    ADD COLUMN version             int NOT NULL DEFAULT 1;
CREATE INDEX verification_requests_queue ON verification_requests (tenant_id, status, created_at);

-- Whether a selfie nobody could match (no KYC-provider connector) stops
-- automatic approval.
ALTER TABLE tenant_settings ADD COLUMN selfie_unchecked_blocks_approval boolean NOT NULL DEFAULT false;

-- Documents required per country and risk level; a tenant without rows of
-- its own uses the defaults of API.md.
CREATE TABLE kyc_requirements (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    country      text NOT NULL CHECK (country = '*' OR country ~ '^[A-Z]{2}$'),
    risk_level   text NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH')),
    doc_type     text NOT NULL,
    sub_types    text[] NOT NULL DEFAULT '{}',
    required     boolean NOT NULL DEFAULT true,
    max_age_days int CHECK (max_age_days > 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, country, risk_level, doc_type)
);

CREATE TABLE documents (
    id                      uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants(id),
    verification_request_id uuid NOT NULL REFERENCES verification_requests(id),
    customer_id             uuid NOT NULL REFERENCES customers(id),
    type                    text NOT NULL,
    sub_type                text NOT NULL DEFAULT '',
    file_name               text NOT NULL DEFAULT '',
    declared_mime           text NOT NULL DEFAULT '',
    mime                    text NOT NULL,
    size_bytes              bigint NOT NULL,
    sha256                  bytea NOT NULL,
    width                   int,
    height                  int,
    pages                   int,
    metadata                jsonb NOT NULL DEFAULT '{}',
    status                  text NOT NULL DEFAULT 'SUBMITTED|REVIEWING',
    storage                 text NOT NULL CHECK (storage IN ('postgres', 'folder')),
    key_id                  text NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (verification_request_id, sha256)
);
CREATE INDEX documents_request ON documents (tenant_id, verification_request_id, created_at);
CREATE INDEX documents_customer ON documents (tenant_id, customer_id, created_at DESC);

-- Sealed document content when documents are kept in PostgreSQL, in
-- chunks each sealed on its own: a document is written and read a chunk at
-- a time, so its size never decides the memory an upload or a view takes.
CREATE TABLE document_chunks (
    document_id uuid NOT NULL REFERENCES documents(id),
    seq         int NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    content     bytea NOT NULL,
    PRIMARY KEY (document_id, seq)
);

-- The automated checks of a verification, each with its evidence.
CREATE TABLE verification_checks (
    id                      uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants(id),
    verification_request_id uuid NOT NULL REFERENCES verification_requests(id),
    kind                    text NOT NULL,
    status                  text NOT NULL,
    score                   numeric(5, 4),
    evidence                jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (verification_request_id, kind)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kyc_requirements', 'documents', 'document_chunks', 'verification_checks']
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
