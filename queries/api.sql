-- name: SigningKeys :many
SELECT * FROM signing_keys WHERE expires_at > now() ORDER BY created_at DESC;

-- name: InsertSigningKey :exec
INSERT INTO signing_keys (kid, alg, private_key, public_jwk, active_until, expires_at)
VALUES (@kid, @alg, @private_key, @public_jwk, @active_until, @expires_at);

-- name: APIClientForToken :one
SELECT id::uuid AS id, tenant_id::uuid AS tenant_id, secret_hash::bytea AS secret_hash,
       scopes::text[] AS scopes, status::text AS status, (coalesce(cert_thumbprint, ''))::text AS cert_thumbprint
FROM api_client_for_token(@client_id::text);

-- name: CreateAPIClient :one
INSERT INTO api_clients (id, tenant_id, client_id, name, scopes, secret_hash, secret_hint, created_by, cert_thumbprint)
VALUES (@id, @tenant_id, @client_id, @name, @scopes, @secret_hash, @secret_hint, @created_by, @cert_thumbprint)
RETURNING *;

-- name: SetAPIClientCertificate :one
-- Binds the client to a certificate's thumbprint, or unbinds it (NULL).
UPDATE api_clients SET cert_thumbprint = @cert_thumbprint
WHERE tenant_id = @tenant_id AND id = @id AND status = 'ACTIVE'
RETURNING *;

-- name: ListAPIClients :many
SELECT * FROM api_clients WHERE tenant_id = @tenant_id ORDER BY status, created_at DESC;

-- name: APIClientByID :one
SELECT * FROM api_clients WHERE tenant_id = @tenant_id AND id = @id;

-- name: RotateAPIClientSecret :one
UPDATE api_clients SET secret_hash = @secret_hash, secret_hint = @secret_hint, rotated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND status = 'ACTIVE'
RETURNING *;

-- name: RevokeAPIClient :one
UPDATE api_clients SET status = 'REVOKED', revoked_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND status = 'ACTIVE'
RETURNING *;

-- name: APIClientStatus :one
SELECT status FROM api_clients WHERE tenant_id = @tenant_id AND id = @id;

-- name: TouchAPIClient :exec
UPDATE api_clients SET last_used_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: ClaimIdempotencyKey :execrows
-- Claims the key for a request: 1 when it is new, or when its first
-- request finished before @expired_before (its answer is no longer kept,
-- so the key is the caller's to use again); 0 when it is in use or kept.
INSERT INTO idempotency_keys (tenant_id, caller, key, request_hash, state)
VALUES (@tenant_id, @caller, @key, @request_hash, 'IN_PROGRESS')
ON CONFLICT (tenant_id, caller, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, state = 'IN_PROGRESS', status_code = NULL, response_headers = NULL,
    response_body = NULL, created_at = now(), completed_at = NULL
WHERE idempotency_keys.state = 'DONE' AND idempotency_keys.created_at < @expired_before::timestamptz;

-- name: PurgeIdempotencyKeys :execrows
-- Deletes the tenant's keys whose first request began before @before:
-- their stored answers (which may quote a customer) are kept no longer.
DELETE FROM idempotency_keys WHERE tenant_id = @tenant_id AND created_at < @before::timestamptz;

-- name: IdempotencyKey :one
SELECT * FROM idempotency_keys WHERE tenant_id = @tenant_id AND caller = @caller AND key = @key;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys
SET state = 'DONE', status_code = @status_code, response_headers = @response_headers,
    response_body = @response_body, completed_at = now()
WHERE tenant_id = @tenant_id AND caller = @caller AND key = @key;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE tenant_id = @tenant_id AND caller = @caller AND key = @key AND state = 'IN_PROGRESS';
