-- Subject access exports (internal/report/subject.go) and what they read
-- that no other query gives.

-- name: SubjectExportInsert :one
INSERT INTO subject_exports (id, tenant_id, customer_id, requested_by, requested_by_id, approved_by, reason)
VALUES (@id, @tenant_id, @customer_id, @requested_by, @requested_by_id, @approved_by, @reason)
RETURNING *;

-- name: SubjectExport :one
SELECT * FROM subject_exports WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportsOf :many
SELECT * FROM subject_exports WHERE tenant_id = @tenant_id AND customer_id = @customer_id
ORDER BY created_at DESC, id LIMIT @max_rows;

-- name: SubjectExportsUnfinished :many
-- The customer's exports waiting for or in the job.
SELECT * FROM subject_exports WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND status IN ('QUEUED', 'RUNNING')
ORDER BY created_at;

-- name: SubjectExportStart :exec
UPDATE subject_exports SET status = 'RUNNING', total = @total, processed = 0, files = 0, bytes = 0, last_error = '', started_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportProgress :exec
UPDATE subject_exports SET processed = @processed, files = @files WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportFinish :exec
UPDATE subject_exports SET status = 'DONE', processed = total, files = @files, bytes = @bytes, sha256 = @sha256,
    finished_at = @finished_at, expires_at = @expires_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportFail :exec
UPDATE subject_exports SET status = 'FAILED', last_error = @last_error, finished_at = now() WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportDeleteChunks :exec
DELETE FROM subject_export_chunks WHERE tenant_id = @tenant_id AND export_id = @export_id;

-- name: SubjectExportInsertChunk :exec
INSERT INTO subject_export_chunks (export_id, seq, tenant_id, content) VALUES (@export_id, @seq, @tenant_id, @content);

-- name: SubjectExportChunk :one
SELECT content FROM subject_export_chunks WHERE tenant_id = @tenant_id AND export_id = @export_id AND seq = @seq;

-- name: SubjectExportsExpired :many
SELECT * FROM subject_exports WHERE tenant_id = @tenant_id AND status = 'DONE' AND expires_at <= @now::timestamptz
ORDER BY expires_at LIMIT @max_rows;

-- name: SubjectExportExpire :exec
UPDATE subject_exports SET status = 'EXPIRED' WHERE tenant_id = @tenant_id AND id = @id;

-- name: SubjectExportsWaiting :many
-- Exports approved before @before whose job was never queued (the queue
-- was away when they were approved).
SELECT id FROM subject_exports WHERE tenant_id = @tenant_id AND status = 'QUEUED' AND created_at < @before::timestamptz
ORDER BY created_at LIMIT 100;
