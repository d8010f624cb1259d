-- name: PutReveal :exec
INSERT INTO portal_reveals (tenant_id, session_id, kind, sealed, expires_at)
VALUES (@tenant_id, @session_id, @kind, @sealed, @expires_at);

-- name: TakeReveals :many
-- The session's reveals of kind, deleted as they are read, oldest first;
-- expired ones are deleted too but not returned.
DELETE FROM portal_reveals
WHERE tenant_id = @tenant_id AND session_id = @session_id AND kind = @kind
RETURNING id, sealed, expires_at, created_at;
