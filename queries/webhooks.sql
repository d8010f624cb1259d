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
SELECT id, traceparent FROM webhook_deliveries
WHERE tenant_id = @tenant_id AND enqueued_at IS NULL
ORDER BY created_at
LIMIT @max_rows
FOR UPDATE SKIP LOCKED;

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
SELECT d.*, s.url, s.secret, s.status AS subscription_status,
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
