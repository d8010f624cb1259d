-- name: InsertEvent :one
INSERT INTO events (id, tenant_id, type, version, entity_type, entity_id, trace_id, payload)
VALUES (@id, @tenant_id, @type, @version, @entity_type, @entity_id, @trace_id, @payload)
RETURNING position, occurred_at;

-- name: ListEventsAfter :many
SELECT * FROM events
WHERE tenant_id = @tenant_id AND position > @after_position
ORDER BY position
LIMIT @max_rows;
