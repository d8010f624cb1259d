-- name: InsertEvent :one
-- tenant_seq is set by the events_tenant_seq trigger.
INSERT INTO events (id, tenant_id, type, version, entity_type, entity_id, trace_id, payload)
VALUES (@id, @tenant_id, @type, @version, @entity_type, @entity_id, @trace_id, @payload)
RETURNING position, tenant_seq, occurred_at;

-- name: ListEventsAfter :many
-- The tenant's events after its own event number after_seq, in its order.
SELECT * FROM events
WHERE tenant_id = @tenant_id AND tenant_seq > @after_seq
ORDER BY tenant_seq
LIMIT @max_rows;

-- name: EventSeqBeforePosition :one
-- A cursor from before the tenant's own numbering is a position of the
-- sequence shared by all tenants: the events after it are the tenant's
-- from the lowest number among those with a greater position (some seen
-- already may come again; none is missed).
SELECT coalesce(
    (SELECT min(tenant_seq) - 1 FROM events e WHERE e.tenant_id = @tenant_id AND e.position > @after_position),
    (SELECT max(tenant_seq) FROM events e WHERE e.tenant_id = @tenant_id),
    0)::bigint;

-- name: EventPublicationBacklog :many
-- The tenants with events publisher has not published yet, the oldest
-- waiting first (see migration 00031).
SELECT tenant_id::uuid AS tenant_id, slug::text AS slug, published_seq::bigint AS published_seq,
       last_seq::bigint AS last_seq, coalesce(oldest_at, now())::timestamptz AS oldest_at
FROM event_publication_backlog(@publisher::text);

-- name: EventPublication :one
-- The tenant's last event number publisher has published; 0 before the first.
SELECT coalesce((SELECT seq FROM event_publications WHERE publisher = @publisher AND tenant_id = @tenant_id), 0)::bigint;

-- name: RecordEventPublication :exec
-- Moves publisher's position in the tenant's events forward, never back:
-- of two instances racing, the one further along wins.
INSERT INTO event_publications (publisher, tenant_id, seq) VALUES (@publisher, @tenant_id, @seq)
ON CONFLICT (publisher, tenant_id) DO UPDATE SET seq = greatest(event_publications.seq, EXCLUDED.seq), updated_at = now();

-- name: ResetEventPublication :exec
-- Sets publisher's position in the tenant's events to seq, back as well as
-- forward: a replay to the bus of what it has already been sent (the bus
-- drops the ones it still remembers).
INSERT INTO event_publications (publisher, tenant_id, seq) VALUES (@publisher, @tenant_id, @seq)
ON CONFLICT (publisher, tenant_id) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now();

-- name: PruneEvents :one
-- Deletes the events older than before whose deliveries have ended and
-- that every publisher in publishers has published, of one tenant or, when
-- tenant is null, of all (see migration 00031).
SELECT prune_events(@before::timestamptz, @publishers::text[], sqlc.narg(tenant)::uuid)::bigint;

-- name: ListEventsAbout :many
-- The tenant's events about any of entity_ids, or whose payload names
-- customer_id as its customerId, after after_seq, in the tenant's order
-- (a subject access export reads them).
SELECT * FROM events
WHERE tenant_id = @tenant_id AND tenant_seq > @after_seq
  AND (entity_id = ANY(@entity_ids::text[]) OR payload ->> 'customerId' = @customer_id::text)
ORDER BY tenant_seq
LIMIT @max_rows;
