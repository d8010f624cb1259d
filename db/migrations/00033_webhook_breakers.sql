-- +goose Up

-- Each subscription has a circuit breaker, kept here so that every server
-- sees the same one. Closed (breaker_open_until NULL): deliveries go out.
-- Open (breaker_open_until in the future): deliveries wait, unqueued, and
-- spend none of their attempts. Half-open (breaker_open_until past): one
-- trial delivery claims the breaker; its success closes it, its failure
-- opens it again for longer.
ALTER TABLE webhook_subscriptions
    -- Consecutive failures (connection errors, time-outs, 5xx, 429).
    ADD COLUMN breaker_failures   int NOT NULL DEFAULT 0,
    -- How many times in a row it opened: the back-off doubles with it.
    ADD COLUMN breaker_opened     int NOT NULL DEFAULT 0,
    ADD COLUMN breaker_open_until timestamptz,
    ADD COLUMN breaker_last_error text NOT NULL DEFAULT '';

-- The pump leaves the deliveries of an open breaker where they are: a
-- tenant whose only unqueued deliveries wait for one is not listed.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION tenants_with_unqueued_deliveries()
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT d.tenant_id FROM webhook_deliveries d
    JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.tenant_id = d.tenant_id
    WHERE d.enqueued_at IS NULL AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= now())
$$;
-- +goose StatementEnd

-- +goose Down
-- Forward-only.
