-- name: CreateWebhookSubscription :one
INSERT INTO webhook_subscriptions (id, tenant_id, url, description, event_types, secret)
VALUES (@id, @tenant_id, @url, @description, @event_types, @secret)
RETURNING *;

-- name: ListWebhookSubscriptions :many
SELECT * FROM webhook_subscriptions WHERE tenant_id = @tenant_id ORDER BY status, created_at DESC;

-- name: WebhookSubscription :one
SELECT * FROM webhook_subscriptions WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetWebhookSubscriptionStatus :one
UPDATE webhook_subscriptions SET status = @status, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ActiveWebhookSubscriptions :many
SELECT * FROM webhook_subscriptions WHERE tenant_id = @tenant_id AND status = 'ACTIVE';

-- name: TenantsWithUnqueuedDeliveries :many
SELECT tenant_id::uuid AS tenant_id FROM tenants_with_unqueued_deliveries();

-- name: UnqueuedDeliveries :many
SELECT d.id, d.traceparent FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.tenant_id = d.tenant_id
WHERE d.tenant_id = @tenant_id AND d.enqueued_at IS NULL
  AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= now())
ORDER BY d.created_at
LIMIT @max_rows
FOR UPDATE OF d SKIP LOCKED;

-- name: MarkDeliveriesQueued :exec
UPDATE webhook_deliveries SET enqueued_at = now() WHERE tenant_id = @tenant_id AND id = ANY(@ids::uuid[]);

-- name: CreateDeliveriesForEvent :execrows
INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_id, traceparent)
SELECT gen_random_uuid(), s.tenant_id, s.id, @event_id, @traceparent
FROM webhook_subscriptions s
WHERE s.tenant_id = @tenant_id AND s.status = 'ACTIVE'
  AND (cardinality(s.event_types) = 0 OR @event_type::text = ANY(s.event_types));

-- name: CreateWebhookDelivery :one
INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_id, resend_of)
VALUES (@id, @tenant_id, @subscription_id, @event_id, @resend_of)
RETURNING *;

-- name: WebhookDeliveryForWork :one
SELECT d.*, s.url, s.secret, s.status AS subscription_status, s.breaker_open_until,
       e.type AS event_type, e.version AS event_version, e.payload AS event_payload, e.occurred_at AS event_occurred_at
FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.tenant_id = d.tenant_id
JOIN events e ON e.id = d.event_id AND e.tenant_id = d.tenant_id
WHERE d.tenant_id = @tenant_id AND d.id = @id;

-- name: RecordWebhookAttempt :exec
UPDATE webhook_deliveries
SET attempts = attempts + 1, status = @status, last_status_code = @last_status_code, last_error = @last_error,
    last_attempt_at = now(), delivered_at = CASE WHEN @status = 'DELIVERED' THEN now() ELSE delivered_at END
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListWebhookDeliveries :many
SELECT d.*, e.type AS event_type
FROM webhook_deliveries d JOIN events e ON e.id = d.event_id AND e.tenant_id = d.tenant_id
WHERE d.tenant_id = @tenant_id AND d.subscription_id = @subscription_id
ORDER BY d.created_at DESC
LIMIT @max_rows;

-- name: WebhookDelivery :one
SELECT * FROM webhook_deliveries WHERE tenant_id = @tenant_id AND id = @id;

-- name: LockWebhookBreaker :one
SELECT breaker_failures, breaker_opened, breaker_open_until
FROM webhook_subscriptions WHERE tenant_id = @tenant_id AND id = @id
FOR UPDATE;

-- name: ClaimWebhookBreakerTrial :execrows
-- A half-open breaker's trial: the first delivery to claim it holds it for
-- lease; the others find it open.
UPDATE webhook_subscriptions SET breaker_open_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE tenant_id = @tenant_id AND id = @id AND breaker_open_until <= now();

-- name: ParkWebhookDelivery :exec
-- A delivery that met an open breaker waits unqueued, its attempts unspent.
UPDATE webhook_deliveries SET enqueued_at = NULL WHERE tenant_id = @tenant_id AND id = @id;

-- name: CountWebhookFailure :exec
UPDATE webhook_subscriptions SET breaker_failures = breaker_failures + 1, breaker_last_error = @last_error
WHERE tenant_id = @tenant_id AND id = @id;

-- name: OpenWebhookBreaker :one
UPDATE webhook_subscriptions
SET breaker_failures = breaker_failures + 1, breaker_last_error = @last_error,
    breaker_opened = breaker_opened + 1, breaker_open_until = now() + make_interval(secs => @back_off_seconds::float8)
WHERE tenant_id = @tenant_id AND id = @id
RETURNING breaker_failures, breaker_opened, breaker_open_until;

-- name: CloseWebhookBreaker :one
-- A success resets the breaker; was_open says whether it was paused.
WITH before AS (
    SELECT breaker_open_until FROM webhook_subscriptions WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE
)
UPDATE webhook_subscriptions s
SET breaker_failures = 0, breaker_opened = 0, breaker_open_until = NULL, breaker_last_error = ''
FROM before
WHERE s.tenant_id = @tenant_id AND s.id = @id AND (s.breaker_failures > 0 OR s.breaker_open_until IS NOT NULL)
RETURNING (before.breaker_open_until IS NOT NULL)::boolean AS was_open;

-- name: HalfOpenWebhookBreaker :one
-- Retry now: an open breaker becomes half-open at once.
UPDATE webhook_subscriptions SET breaker_open_until = now()
WHERE tenant_id = @tenant_id AND id = @id AND breaker_open_until IS NOT NULL
RETURNING breaker_open_until;
