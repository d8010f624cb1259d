-- +goose Up

-- How far a publisher of the outbox (NATS JetStream) has come in each
-- tenant's events: seq is the tenant's event number (events.tenant_seq) of
-- the last event the bus acknowledged. The tenant's numbers are given in
-- commit order without gaps, so "after seq" misses nothing committed later,
-- which a position shared by all tenants could not promise (a transaction
-- that took a lower position may commit after one with a higher). A
-- restart resumes from here; an event published again after a crash
-- between the bus's acknowledgement and this row's update is dropped by
-- the bus's de-duplication on the event id.
CREATE TABLE event_publications (
    publisher  text NOT NULL CHECK (publisher ~ '^[a-z][a-z0-9_-]{0,31}$'),
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    seq        bigint NOT NULL CHECK (seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher, tenant_id)
);

ALTER TABLE event_publications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_publications USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON event_publications TO ciam_app;

-- The publisher asks which tenants have events it has not published yet,
-- how many and since when: a question across tenants, answered from each
-- tenant's last event number (kept on its audit chain head, see 00025)
-- without showing any event. The oldest unpublished event's time is the
-- publisher's lag.
-- +goose StatementBegin
CREATE FUNCTION event_publication_backlog(p_publisher text)
RETURNS TABLE (tenant_id uuid, slug text, published_seq bigint, last_seq bigint, oldest_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT h.chain_id, t.slug, coalesce(p.seq, 0), h.event_seq,
           (SELECT e.occurred_at FROM events e
             WHERE e.tenant_id = h.chain_id AND e.tenant_seq = coalesce(p.seq, 0) + 1)
      FROM audit_chain_heads h
      JOIN tenants t ON t.id = h.chain_id
      LEFT JOIN event_publications p ON p.publisher = p_publisher AND p.tenant_id = h.chain_id
     WHERE h.event_seq > coalesce(p.seq, 0)
     ORDER BY 5 NULLS LAST
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION event_publication_backlog(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION event_publication_backlog(text) TO ciam_app;

-- Pruning of the outbox: the events older than p_before whose webhook
-- deliveries have all ended (delivered or dead) go, with those deliveries,
-- except any event a publisher in p_publishers (the buses configured, e.g.
-- {nats}) has not published yet: an event waits in the outbox until every
-- bus has it, however old. Replay (GET /events) then starts at the oldest
-- event kept; its cursors stay valid. Says how many events went.
-- +goose StatementBegin
CREATE FUNCTION prune_events(p_before timestamptz, p_publishers text[], p_tenant uuid)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        SELECT e.id FROM events e
         WHERE e.occurred_at < p_before AND (p_tenant IS NULL OR e.tenant_id = p_tenant)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'PENDING')
           AND NOT EXISTS (SELECT 1 FROM unnest(p_publishers) AS pub(name)
                            WHERE e.tenant_seq > coalesce((SELECT p.seq FROM event_publications p
                                                            WHERE p.publisher = pub.name AND p.tenant_id = e.tenant_id), 0))
    ), deliveries AS (
        DELETE FROM webhook_deliveries d USING gone WHERE d.event_id = gone.id
    ), deleted AS (
        DELETE FROM events e USING gone WHERE e.id = gone.id RETURNING 1
    )
    SELECT count(*) FROM deleted
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prune_events(timestamptz, text[], uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prune_events(timestamptz, text[], uuid) TO ciam_app;

-- +goose Down
-- Forward-only.
