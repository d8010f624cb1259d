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

-- Connectors are checked periodically; the same breaker idea backs off the
-- checks of one that keeps failing. A manual test always runs.
ALTER TABLE connectors
    -- Consecutive failed checks (no answer or 5xx), periodic or manual.
    ADD COLUMN check_failures      int NOT NULL DEFAULT 0,
    -- Set: the periodic check waits until then.
    ADD COLUMN checks_paused_until timestamptz;

-- The periodic check asks, across tenants, which enabled connectors with a
-- base URL are due: last checked before p_checked_before and not paused at
-- p_now.
-- +goose StatementBegin
CREATE FUNCTION connectors_due_for_check(p_now timestamptz, p_checked_before timestamptz, p_max int)
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT c.tenant_id, c.id FROM connectors c
    WHERE c.status = 'ENABLED' AND coalesce(c.config->>'baseUrl', '') <> ''
      AND (c.checks_paused_until IS NULL OR c.checks_paused_until <= p_now)
      AND (c.health_checked_at IS NULL OR c.health_checked_at <= p_checked_before)
    ORDER BY c.health_checked_at NULLS FIRST
    LIMIT p_max
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION connectors_due_for_check(timestamptz, timestamptz, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connectors_due_for_check(timestamptz, timestamptz, int) TO ciam_app;

-- +goose Down
-- Forward-only.
