-- +goose Up

-- An API client may be bound to a client certificate (RFC 8705): the
-- base64url SHA-256 of the certificate's DER (x5t#S256). A bound client
-- gets a token only over a TLS connection presenting that certificate,
-- and its tokens work only with it. NULL: not bound.
ALTER TABLE api_clients
    ADD COLUMN cert_thumbprint text,
    ADD CONSTRAINT api_clients_cert_thumbprint CHECK (cert_thumbprint IS NULL OR cert_thumbprint ~ '^[A-Za-z0-9_-]{43}$');

-- The token request learns the binding in the same cross-tenant question.
DROP FUNCTION api_client_for_token(text);
-- +goose StatementBegin
CREATE FUNCTION api_client_for_token(p_client_id text)
RETURNS TABLE (id uuid, tenant_id uuid, secret_hash bytea, scopes text[], status text, cert_thumbprint text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT c.id, c.tenant_id, c.secret_hash, c.scopes, c.status, c.cert_thumbprint FROM api_clients c WHERE c.client_id = p_client_id
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION api_client_for_token(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_client_for_token(text) TO ciam_app;

-- +goose Down
-- Forward-only.
