-- Reporting extracts (internal/report): the read views the report
-- definitions select from, each read in pages after a cursor (the last id
-- of the page before), and the runs, their files and their schedules.
-- An empty text filter and a null date filter match everything.

-- ---------------------------------------------------------------- views

-- name: ReportCustomers :many
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.phone_number, c.date_of_birth, c.nationality,
       (coalesce(nullif(c.address ->> 'country', ''), c.nationality))::text AS country,
       c.risk_level, c.status, c.permission, c.created_at,
       EXISTS (SELECT 1 FROM screening_hits h JOIN screening_sources s ON s.id = h.source_id
               WHERE h.tenant_id = c.tenant_id AND h.subject_id = c.id AND s.kind = 'PEP' AND h.status = 'CONFIRMED') AS pep
FROM customers c
WHERE c.tenant_id = @tenant_id AND c.id > @after_id AND NOT c.is_hidden
  AND (@risk::text = '' OR c.risk_level = @risk::text)
  AND (@country::text = '' OR coalesce(nullif(c.address ->> 'country', ''), c.nationality) = @country::text)
  AND (@status::text = '' OR c.status = @status::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR c.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR c.created_at < sqlc.narg(until)::timestamptz)
ORDER BY c.id
LIMIT @max_rows;

-- name: ReportCustomersCount :one
SELECT count(*) FROM customers c
WHERE c.tenant_id = @tenant_id AND NOT c.is_hidden
  AND (@risk::text = '' OR c.risk_level = @risk::text)
  AND (@country::text = '' OR coalesce(nullif(c.address ->> 'country', ''), c.nationality) = @country::text)
  AND (@status::text = '' OR c.status = @status::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR c.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR c.created_at < sqlc.narg(until)::timestamptz);

-- name: ReportScreeningHits :many
SELECT h.id, h.subject_id, h.subject_name, h.entry_name, h.source_id, s.name AS list_name, s.kind AS list_kind,
       h.score, h.match_status, h.status, h.decided_by, h.decided_at, h.created_at
FROM screening_hits h
JOIN screening_sources s ON s.id = h.source_id
WHERE h.tenant_id = @tenant_id AND h.id > @after_id
  AND (@kind::text = '' OR s.kind = @kind::text)
  AND (@status::text = '' OR h.status = @status::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR h.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR h.created_at < sqlc.narg(until)::timestamptz)
ORDER BY h.id
LIMIT @max_rows;

-- name: ReportScreeningHitsCount :one
SELECT count(*) FROM screening_hits h
JOIN screening_sources s ON s.id = h.source_id
WHERE h.tenant_id = @tenant_id
  AND (@kind::text = '' OR s.kind = @kind::text)
  AND (@status::text = '' OR h.status = @status::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR h.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR h.created_at < sqlc.narg(until)::timestamptz);

-- name: ReportVerifications :many
-- Verifications decided (by a reviewer or automatically): those completed.
SELECT v.id, v.customer_id, c.first_name, c.last_name, v.risk_level, v.status,
       (coalesce(v.decision, ''))::text AS decision, (coalesce(v.verification_method, ''))::text AS method,
       (coalesce(v.decided_by_name, ''))::text AS decided_by, v.created_at, v.completed_at
FROM verification_requests v
JOIN customers c ON c.tenant_id = v.tenant_id AND c.id = v.customer_id
WHERE v.tenant_id = @tenant_id AND v.id > @after_id AND v.completed_at IS NOT NULL
  AND (@status::text = '' OR v.status = @status::text)
  AND (@risk::text = '' OR v.risk_level = @risk::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR v.completed_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR v.completed_at < sqlc.narg(until)::timestamptz)
ORDER BY v.id
LIMIT @max_rows;

-- name: ReportVerificationsCount :one
SELECT count(*) FROM verification_requests v
WHERE v.tenant_id = @tenant_id AND v.completed_at IS NOT NULL
  AND (@status::text = '' OR v.status = @status::text)
  AND (@risk::text = '' OR v.risk_level = @risk::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR v.completed_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR v.completed_at < sqlc.narg(until)::timestamptz);

-- name: ReportAlerts :many
SELECT a.id, a.customer_id, c.first_name, c.last_name, a.severity, a.decision, a.score, a.rule_names,
       a.amount, a.currency, a.status, (coalesce(a.assignee_name, ''))::text AS assignee, a.sar_narrative,
       t.transaction_ref, a.created_at, a.closed_at
FROM aml_alerts a
JOIN customers c ON c.tenant_id = a.tenant_id AND c.id = a.customer_id
JOIN aml_transactions t ON t.id = a.transaction_id
WHERE a.tenant_id = @tenant_id AND a.id > @after_id
  AND (@status::text = '' OR a.status = @status::text)
  AND (@severity::text = '' OR a.severity = @severity::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR a.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR a.created_at < sqlc.narg(until)::timestamptz)
ORDER BY a.id
LIMIT @max_rows;

-- name: ReportAlertsCount :one
SELECT count(*) FROM aml_alerts a
WHERE a.tenant_id = @tenant_id
  AND (@status::text = '' OR a.status = @status::text)
  AND (@severity::text = '' OR a.severity = @severity::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR a.created_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR a.created_at < sqlc.narg(until)::timestamptz);

-- name: ReportFeeRules :many
-- The fee rules (the tariff): fees are quoted from them (GET /fees/quote)
-- and no charge is recorded anywhere, so the tariff is what there is.
SELECT f.id, f.name, f.transaction_type, f.country, f.currency, f.channel, f.customer_category,
       f.fixed_amount, f.percentage, f.minimum_fee, f.maximum_fee, f.effective_from, f.status, f.created_at, f.updated_at,
       (coalesce((SELECT string_agg(t.from_amount::text || '-' || coalesce(t.up_to::text, '') || ': ' || t.fixed_amount::text
                                    || ' + ' || t.percentage::text || '%', '; ' ORDER BY t.position)
                  FROM fee_tiers t WHERE t.tenant_id = f.tenant_id AND t.rule_id = f.id), ''))::text AS tiers
FROM fee_rules f
WHERE f.tenant_id = @tenant_id AND f.id > @after_id
  AND (@status::text = '' OR f.status = @status::text)
  AND (@currency::text = '' OR f.currency = @currency::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR f.effective_from >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR f.effective_from < sqlc.narg(until)::timestamptz)
ORDER BY f.id
LIMIT @max_rows;

-- name: ReportFeeRulesCount :one
SELECT count(*) FROM fee_rules f
WHERE f.tenant_id = @tenant_id
  AND (@status::text = '' OR f.status = @status::text)
  AND (@currency::text = '' OR f.currency = @currency::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR f.effective_from >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR f.effective_from < sqlc.narg(until)::timestamptz);

-- ---------------------------------------------------------------- runs

-- name: ReportInsertRun :one
INSERT INTO report_runs (id, tenant_id, definition, format, filters, roles, requested_by, requested_by_id, schedule_id)
VALUES (@id, @tenant_id, @definition, @format, @filters, @roles, @requested_by, sqlc.narg(requested_by_id), sqlc.narg(schedule_id))
RETURNING *;

-- name: ReportRun :one
SELECT * FROM report_runs WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportRuns :many
SELECT * FROM report_runs WHERE tenant_id = @tenant_id ORDER BY created_at DESC, id LIMIT @max_rows;

-- name: ReportStartRun :exec
UPDATE report_runs SET status = 'RUNNING', total = @total, processed = 0, bytes = 0, started_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportRunProgress :exec
UPDATE report_runs SET processed = @processed WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportFinishRun :exec
UPDATE report_runs SET status = 'DONE', processed = @processed, bytes = @bytes, sha256 = @sha256,
    finished_at = @finished_at, expires_at = @expires_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportFailRun :exec
UPDATE report_runs SET status = 'FAILED', last_error = @last_error, finished_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportDeleteChunks :exec
DELETE FROM report_chunks WHERE tenant_id = @tenant_id AND run_id = @run_id;

-- name: ReportInsertChunk :exec
INSERT INTO report_chunks (run_id, seq, tenant_id, content) VALUES (@run_id, @seq, @tenant_id, @content);

-- name: ReportChunk :one
SELECT content FROM report_chunks WHERE tenant_id = @tenant_id AND run_id = @run_id AND seq = @seq;

-- name: ReportExpiredRuns :many
SELECT id, definition, format, bytes, expires_at FROM report_runs
WHERE tenant_id = @tenant_id AND status = 'DONE' AND expires_at <= @now::timestamptz
ORDER BY expires_at
LIMIT @max_rows;

-- name: ReportExpireRun :exec
UPDATE report_runs SET status = 'EXPIRED' WHERE tenant_id = @tenant_id AND id = @id;

-- ---------------------------------------------------------------- schedules

-- name: ReportInsertSchedule :one
INSERT INTO report_schedules (id, tenant_id, definition, format, filters, every, roles, created_by, next_run_at)
VALUES (@id, @tenant_id, @definition, @format, @filters, @every, @roles, @created_by, @next_run_at)
RETURNING *;

-- name: ReportSchedules :many
SELECT * FROM report_schedules WHERE tenant_id = @tenant_id AND is_active ORDER BY created_at, id;

-- name: ReportDueSchedules :many
SELECT * FROM report_schedules WHERE tenant_id = @tenant_id AND is_active AND next_run_at <= @now
ORDER BY next_run_at
FOR UPDATE SKIP LOCKED;

-- name: ReportAdvanceSchedule :exec
UPDATE report_schedules SET next_run_at = @next_run_at, last_run_id = @last_run_id WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReportStopSchedule :one
UPDATE report_schedules SET is_active = false WHERE tenant_id = @tenant_id AND id = @id AND is_active RETURNING *;

-- ---------------------------------------------------------------- settings

-- name: ReportingSettings :one
SELECT report_retention, goaml FROM tenant_settings WHERE tenant_id = @tenant_id;

-- name: UpdateReportingSettings :exec
UPDATE tenant_settings SET report_retention = @report_retention, goaml = @goaml, updated_at = now() WHERE tenant_id = @tenant_id;
