-- name: InsertChangeRequest :one
INSERT INTO change_requests (id, tenant_id, kind, target_type, target_id, title, payload, before, after, target_version,
    maker_type, maker_id, maker_name, maker_reason)
VALUES (@id, @tenant_id, @kind, @target_type, @target_id, @title, @payload, @before, @after, @target_version,
    @maker_type, @maker_id, @maker_name, @maker_reason)
RETURNING *;

-- name: ChangeRequestForUpdate :one
SELECT * FROM change_requests WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ChangeRequestByID :one
SELECT * FROM change_requests WHERE tenant_id = @tenant_id AND id = @id;

-- name: DecideChangeRequest :one
UPDATE change_requests
SET status = @status, checker_id = @checker_id, checker_name = @checker_name, decision_reason = @decision_reason,
    after = coalesce(sqlc.narg(after), after), decided_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ListChangeRequests :many
SELECT * FROM change_requests
WHERE tenant_id = @tenant_id
  AND (@status::text = '' OR status = @status)
  AND (@kind::text = '' OR kind = @kind)
ORDER BY CASE WHEN status = 'PENDING' THEN 0 ELSE 1 END, created_at DESC
LIMIT @max_rows OFFSET @skip;

-- name: CountChangeRequests :one
SELECT count(*) FROM change_requests
WHERE tenant_id = @tenant_id AND (@status::text = '' OR status = @status) AND (@kind::text = '' OR kind = @kind);

-- name: PendingForTarget :many
SELECT * FROM change_requests
WHERE tenant_id = @tenant_id AND target_type = @target_type AND target_id = ANY(@target_ids::text[]) AND status = 'PENDING'
ORDER BY created_at;

-- name: OldestPending :one
SELECT count(*) AS pending, min(created_at) AS oldest FROM change_requests
WHERE tenant_id = @tenant_id AND status = 'PENDING';
