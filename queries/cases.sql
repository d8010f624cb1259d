-- name: CaseInsert :one
INSERT INTO cases (id, tenant_id, customer_id, title, created_by) VALUES (@id, @tenant_id, @customer_id, @title, @created_by)
RETURNING *;

-- name: CaseList :many
SELECT k.*, c.first_name, c.last_name,
       (SELECT count(*) FROM case_alerts ca WHERE ca.case_id = k.id)::bigint AS alerts,
       (SELECT count(*) FROM case_hits ch WHERE ch.case_id = k.id)::bigint AS hits
FROM cases k JOIN customers c ON c.tenant_id = k.tenant_id AND c.id = k.customer_id
WHERE k.tenant_id = @tenant_id
  AND k.status = ANY(@statuses::text[])
  AND (@owner::text = '' OR (@owner = 'none' AND k.owner_id IS NULL) OR k.owner_id::text = @owner)
  AND (sqlc.narg(customer_id)::uuid IS NULL OR k.customer_id = sqlc.narg(customer_id))
ORDER BY k.created_at DESC, k.id
LIMIT @max_rows OFFSET @skip;

-- name: CaseCount :one
SELECT count(*) FROM cases k
WHERE k.tenant_id = @tenant_id
  AND k.status = ANY(@statuses::text[])
  AND (@owner::text = '' OR (@owner = 'none' AND k.owner_id IS NULL) OR k.owner_id::text = @owner)
  AND (sqlc.narg(customer_id)::uuid IS NULL OR k.customer_id = sqlc.narg(customer_id));

-- name: CaseGet :one
SELECT k.*, c.first_name, c.last_name, c.risk_level, c.status AS customer_status
FROM cases k JOIN customers c ON c.tenant_id = k.tenant_id AND c.id = k.customer_id
WHERE k.tenant_id = @tenant_id AND k.id = @id;

-- name: CaseForUpdate :one
SELECT * FROM cases WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: CaseUpdate :one
UPDATE cases SET status = @status, owner_id = sqlc.narg(owner_id), owner_name = sqlc.narg(owner_name),
    close_reason_code = @close_reason_code, close_reason_label = @close_reason_label, closed_at = sqlc.narg(closed_at), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CaseUnassignedAlerts :many
-- The customer's open alerts that are in no case yet.
SELECT a.id FROM aml_alerts a
WHERE a.tenant_id = @tenant_id AND a.customer_id = @customer_id AND a.status IN ('OPEN', 'ESCALATED')
  AND NOT EXISTS (SELECT 1 FROM case_alerts ca WHERE ca.alert_id = a.id)
ORDER BY a.created_at;

-- name: CaseUnassignedHits :many
-- The customer's open screening hits that are in no case yet.
SELECT h.id FROM screening_hits h
WHERE h.tenant_id = @tenant_id AND h.subject_id = @customer_id AND h.status = 'OPEN'
  AND NOT EXISTS (SELECT 1 FROM case_hits ch WHERE ch.hit_id = h.id)
ORDER BY h.created_at;

-- name: CaseAlertOf :one
SELECT id, customer_id FROM aml_alerts WHERE tenant_id = @tenant_id AND id = @id;

-- name: CaseAddAlert :execrows
INSERT INTO case_alerts (alert_id, case_id, tenant_id) VALUES (@alert_id, @case_id, @tenant_id) ON CONFLICT (alert_id) DO NOTHING;

-- name: CaseAddHit :execrows
INSERT INTO case_hits (hit_id, case_id, tenant_id) VALUES (@hit_id, @case_id, @tenant_id) ON CONFLICT (hit_id) DO NOTHING;

-- name: CaseAlerts :many
SELECT a.id, a.severity, a.status, a.rule_names, a.amount, a.currency, a.created_at, a.assignee_name
FROM case_alerts ca JOIN aml_alerts a ON a.id = ca.alert_id
WHERE ca.tenant_id = @tenant_id AND ca.case_id = @case_id
ORDER BY a.created_at;

-- name: CaseHits :many
SELECT h.id, h.entry_name, h.source_id, h.score, h.match_status, h.status, h.note, h.decided_by, h.decided_at, h.created_at
FROM case_hits ch JOIN screening_hits h ON h.id = ch.hit_id
WHERE ch.tenant_id = @tenant_id AND ch.case_id = @case_id
ORDER BY h.created_at;

-- name: CaseInsertEvent :exec
INSERT INTO case_events (id, tenant_id, case_id, kind, actor_id, actor_name, body, reason_code, reason_label, alert_id, hit_id, attachment_id)
VALUES (@id, @tenant_id, @case_id, @kind, @actor_id, @actor_name, @body, @reason_code, @reason_label,
        sqlc.narg(alert_id), sqlc.narg(hit_id), sqlc.narg(attachment_id));

-- name: CaseTimeline :many
-- Everything that happened to a case and to its alerts and hits, in order:
-- the case's own events, each alert's raising and history, each hit's
-- raising and decision.
SELECT * FROM (
    SELECT e.created_at AS at, e.seq, 'case'::text AS source, e.kind, e.actor_name, e.body, e.reason_label,
           e.alert_id, e.hit_id, e.attachment_id
    FROM case_events e WHERE e.tenant_id = @tenant_id AND e.case_id = @case_id
    UNION ALL
    SELECT a.created_at, 0, 'alert', 'ALERT_RAISED', '', array_to_string(a.rule_names, ', '), '', a.id, NULL::uuid, NULL::uuid
    FROM case_alerts ca JOIN aml_alerts a ON a.id = ca.alert_id WHERE ca.tenant_id = @tenant_id AND ca.case_id = @case_id
    UNION ALL
    SELECT ae.created_at, ae.seq, 'alert', 'ALERT_' || ae.kind, ae.actor_name, ae.body, ae.reason_label, ae.alert_id, NULL::uuid, NULL::uuid
    FROM case_alerts ca JOIN aml_alert_events ae ON ae.alert_id = ca.alert_id WHERE ca.tenant_id = @tenant_id AND ca.case_id = @case_id
    UNION ALL
    SELECT h.created_at, 0, 'hit', 'HIT_RAISED', '', h.entry_name, '', NULL::uuid, h.id, NULL::uuid
    FROM case_hits ch JOIN screening_hits h ON h.id = ch.hit_id WHERE ch.tenant_id = @tenant_id AND ch.case_id = @case_id
    UNION ALL
    SELECT h.decided_at, 0, 'hit', 'HIT_' || h.status, h.decided_by, h.note, '', NULL::uuid, h.id, NULL::uuid
    FROM case_hits ch JOIN screening_hits h ON h.id = ch.hit_id
    WHERE ch.tenant_id = @tenant_id AND ch.case_id = @case_id AND h.decided_at IS NOT NULL
) t
ORDER BY at, seq;

-- name: CaseInsertAttachment :one
INSERT INTO case_attachments (id, tenant_id, case_id, file_name, mime, size_bytes, sha256, key_id, uploaded_by)
VALUES (@id, @tenant_id, @case_id, @file_name, @mime, @size_bytes, @sha256, @key_id, @uploaded_by)
RETURNING *;

-- name: CaseAttachments :many
SELECT * FROM case_attachments WHERE tenant_id = @tenant_id AND case_id = @case_id ORDER BY created_at;

-- name: CaseAttachment :one
SELECT * FROM case_attachments WHERE tenant_id = @tenant_id AND case_id = @case_id AND id = @id;

-- name: CaseInsertAttachmentChunk :exec
INSERT INTO case_attachment_chunks (attachment_id, seq, tenant_id, content) VALUES (@attachment_id, @seq, @tenant_id, @content);

-- name: CaseAttachmentChunk :one
SELECT content FROM case_attachment_chunks WHERE tenant_id = @tenant_id AND attachment_id = @attachment_id AND seq = @seq;

-- name: CaseTransactionsPerDay :many
-- The customer's screened transactions per day in a time zone.
SELECT (occurred_at AT TIME ZONE @time_zone::text)::date AS day, count(*) AS n
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND occurred_at >= @since
GROUP BY 1;

-- name: CaseCustomer :one
SELECT id FROM customers WHERE tenant_id = @tenant_id AND id = @id;

-- name: CaseSetAttachmentHash :exec
UPDATE case_attachments SET sha256 = @sha256 WHERE tenant_id = @tenant_id AND id = @id;

-- name: CaseAttachmentsByKey :many
-- Attachments sealed under another key than key_id, for re-sealing.
SELECT id, tenant_id FROM case_attachments WHERE key_id <> @key_id ORDER BY created_at LIMIT @max_rows;

-- name: CaseReplaceAttachmentChunk :exec
UPDATE case_attachment_chunks SET content = @content WHERE tenant_id = @tenant_id AND attachment_id = @attachment_id AND seq = @seq;

-- name: CaseSetAttachmentKey :exec
UPDATE case_attachments SET key_id = @key_id WHERE tenant_id = @tenant_id AND id = @id;
