-- name: InsertAudit :exec
-- No RETURNING: a record of no tenant would have to pass the read policy.
INSERT INTO audit_log (id, tenant_id, chain_id, seq, actor_type, actor_id, actor_name, trace_id, caller_traceparent,
                       action, entity_type, entity_id, reason_code, before, after, prev_hash, hash)
VALUES (@id, @tenant_id, '00000000-0000-0000-0000-000000000000', 0, @actor_type, @actor_id, @actor_name, @trace_id, @caller_traceparent,
        @action, @entity_type, @entity_id, @reason_code, @before, @after, '\x', '\x');

-- name: ListAudit :many
SELECT id, seq, occurred_at, actor_type, actor_id, actor_name, trace_id, caller_traceparent, action, entity_type, entity_id,
       reason_code, before, after
FROM audit_log
WHERE tenant_id = @tenant_id::uuid
  AND (@actor::text = '' OR actor_name ILIKE '%' || @actor || '%' OR actor_id = @actor)
  AND (@action::text = '' OR action LIKE @action || '%')
  AND (@entity_type::text = '' OR entity_type = @entity_type)
  AND (@entity_id::text = '' OR entity_id = @entity_id)
  AND (sqlc.narg(since)::timestamptz IS NULL OR occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR occurred_at < sqlc.narg(until))
  AND (sqlc.narg(before_seq)::bigint IS NULL OR seq < sqlc.narg(before_seq))
ORDER BY seq DESC
LIMIT @max_rows;

-- name: CountAudit :one
SELECT count(*)
FROM audit_log
WHERE tenant_id = @tenant_id::uuid
  AND (@actor::text = '' OR actor_name ILIKE '%' || @actor || '%' OR actor_id = @actor)
  AND (@action::text = '' OR action LIKE @action || '%')
  AND (@entity_type::text = '' OR entity_type = @entity_type)
  AND (@entity_id::text = '' OR entity_id = @entity_id)
  AND (sqlc.narg(since)::timestamptz IS NULL OR occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR occurred_at < sqlc.narg(until));

-- name: AuditByID :one
SELECT id, seq, occurred_at, actor_type, actor_id, actor_name, trace_id, caller_traceparent, action, entity_type, entity_id,
       reason_code, before, after
FROM audit_log WHERE tenant_id = @tenant_id::uuid AND id = @id;

-- name: AuditChains :many
SELECT chain_id, seq FROM audit_chain_heads ORDER BY chain_id;

-- name: AuditChainPage :many
SELECT a.id, a.seq, a.prev_hash, a.hash, audit_record_hash(a) AS computed
FROM audit_log a
WHERE a.chain_id = @chain_id AND a.seq > @after_seq
ORDER BY a.seq
LIMIT @max_rows;

-- name: AuditPerDay :many
SELECT (occurred_at AT TIME ZONE @time_zone::text)::date AS day, count(*) AS records
FROM audit_log
WHERE tenant_id = @tenant_id::uuid AND occurred_at >= @since
GROUP BY 1
ORDER BY 1;

-- name: AuditActionCounts :many
-- How many records of each of some actions a tenant has since a time: the
-- support dashboard's failures today.
SELECT action, count(*) AS records
FROM audit_log
WHERE tenant_id = @tenant_id::uuid AND occurred_at >= @since AND action = ANY(@actions::text[])
GROUP BY action;

-- name: AuditLatestEntities :many
-- The entities some actions were last recorded on since a time, newest
-- first, with the last such action: the customers locked today.
SELECT DISTINCT ON (entity_id) entity_id, action, occurred_at
FROM audit_log
WHERE tenant_id = @tenant_id::uuid AND occurred_at >= @since AND action = ANY(@actions::text[])
  AND entity_type = @entity_type::text AND entity_id <> ''
ORDER BY entity_id, occurred_at DESC;
