-- Everything sealed with the field encryption keys, for `ciam keys reseal`.
-- It runs as the tables' owner, across tenants.

-- name: SealedWebhookSecrets :many
SELECT id, secret FROM webhook_subscriptions ORDER BY id;

-- name: ResealWebhookSecret :exec
UPDATE webhook_subscriptions SET secret = @secret WHERE id = @id;

-- name: SealedTOTPSecrets :many
SELECT id, totp_secret FROM customer_credentials WHERE totp_secret IS NOT NULL ORDER BY id;

-- name: ResealTOTPSecret :exec
UPDATE customer_credentials SET totp_secret = @totp_secret WHERE id = @id;

-- name: SealedSigningKeys :many
SELECT kid, private_key FROM signing_keys ORDER BY kid;

-- name: ResealSigningKey :exec
UPDATE signing_keys SET private_key = @private_key WHERE kid = @kid;

-- name: DocumentChunkSeqs :many
SELECT seq FROM document_chunks WHERE document_id = @document_id ORDER BY seq;

-- name: SealedCustomerKeys :many
SELECT customer_id, sealed_key FROM customer_keys WHERE sealed_key IS NOT NULL ORDER BY customer_id;

-- name: ResealCustomerKey :exec
UPDATE customer_keys SET sealed_key = @sealed_key WHERE customer_id = @customer_id AND sealed_key IS NOT NULL;
