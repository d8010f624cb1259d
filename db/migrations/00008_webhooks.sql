-- +goose Up

-- Webhook subscriptions: where a tenant's business events are delivered.
CREATE TABLE webhook_subscriptions (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    url         text NOT NULL,
    description text NOT NULL DEFAULT '',
    -- Empty: every event type.
    event_types text[] NOT NULL DEFAULT '{}',
    -- Sealed with the field encryption key; shown once when made.
    secret      bytea NOT NULL,
    status      text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, status);

-- One delivery of one event to one subscription, with its attempts.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants(id),
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions(id),
    event_id         uuid NOT NULL REFERENCES events(id),
    status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts         int NOT NULL DEFAULT 0,
    last_status_code int,
    last_error       text NOT NULL DEFAULT '',
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    resend_of        uuid REFERENCES webhook_deliveries(id),
    -- Set when a delivery job was queued for it; the pump queues the rest.
    enqueued_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (tenant_id, subscription_id, created_at DESC);
CREATE INDEX webhook_deliveries_unqueued ON webhook_deliveries (tenant_id, created_at) WHERE enqueued_at IS NULL;

ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_subscriptions USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON webhook_deliveries USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions, webhook_deliveries TO ciam_app;

-- The pump asks which tenants have deliveries not yet queued: a question
-- across tenants, answered without showing any delivery.
-- +goose StatementBegin
CREATE FUNCTION tenants_with_unqueued_deliveries()
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT d.tenant_id FROM webhook_deliveries d WHERE d.enqueued_at IS NULL
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION tenants_with_unqueued_deliveries() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenants_with_unqueued_deliveries() TO ciam_app;

-- +goose Down
-- Forward-only.
