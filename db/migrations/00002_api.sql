-- +goose Up

-- Signing keys of the API's tokens. The private key is sealed with the
-- field encryption key; the public half is published at /.well-known/jwks.json.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    alg          text NOT NULL CHECK (alg IN ('ES256')),
    private_key  bytea NOT NULL,
    public_jwk   jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- New tokens are signed with the newest key still before active_until;
    -- the key is published until expires_at, after its last token expired.
    active_until timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
GRANT SELECT, INSERT ON signing_keys TO ciam_app;

-- The tenant's backends: OAuth 2.0 clients (client credentials grant).
CREATE TABLE api_clients (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    client_id    text NOT NULL UNIQUE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    scopes       text[] NOT NULL,
    -- SHA-256 of a 256-bit random secret: a slow hash adds nothing to a
    -- secret nobody chose, and token issuance must stay fast.
    secret_hash  bytea NOT NULL,
    secret_hint  text NOT NULL,
    status       text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REVOKED')),
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_clients_tenant ON api_clients (tenant_id, created_at DESC);
ALTER TABLE api_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_clients USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON api_clients TO ciam_app;

-- A token request names only its client: this is the one question asked
-- across tenants to answer it.
-- +goose StatementBegin
CREATE FUNCTION api_client_for_token(p_client_id text)
RETURNS TABLE (id uuid, tenant_id uuid, secret_hash bytea, scopes text[], status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT c.id, c.tenant_id, c.secret_hash, c.scopes, c.status FROM api_clients c WHERE c.client_id = p_client_id
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION api_client_for_token(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_client_for_token(text) TO ciam_app;

-- Idempotency-Key: the first response to a key is kept and replayed.
CREATE TABLE idempotency_keys (
    tenant_id        uuid NOT NULL REFERENCES tenants(id),
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('IN_PROGRESS', 'DONE')),
    status_code      int,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO ciam_app;

-- +goose Down
-- Forward-only.
