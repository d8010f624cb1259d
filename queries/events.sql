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
