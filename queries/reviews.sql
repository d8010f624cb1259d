-- The review queue: verifications waiting for a person, oldest first.

-- name: ReviewQueue :many
SELECT v.id, v.customer_id, v.risk_level, v.reasons_for_review, v.assignee_id, v.assigned_at, v.version,
       coalesce(v.review_queued_at, v.updated_at)::timestamptz AS queued_at,
       c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       s.display_name AS assignee_name
FROM verification_requests v
JOIN customers c ON c.tenant_id = v.tenant_id AND c.id = v.customer_id
LEFT JOIN staff s ON s.tenant_id = v.tenant_id AND s.id = v.assignee_id
WHERE v.tenant_id = @tenant_id AND v.status = 'PENDING_REVIEW'
  AND (sqlc.narg(risk)::text IS NULL OR v.risk_level = sqlc.narg(risk)::text)
  AND (sqlc.narg(reason)::text IS NULL OR sqlc.narg(reason)::text = ANY (v.reasons_for_review))
  AND (sqlc.narg(queued_after)::timestamptz IS NULL OR coalesce(v.review_queued_at, v.updated_at) > sqlc.narg(queued_after)::timestamptz)
  AND (sqlc.narg(queued_before)::timestamptz IS NULL OR coalesce(v.review_queued_at, v.updated_at) <= sqlc.narg(queued_before)::timestamptz)
  AND (NOT @only_unassigned::boolean OR v.assignee_id IS NULL)
  AND (sqlc.narg(assignee)::uuid IS NULL OR v.assignee_id = sqlc.narg(assignee)::uuid)
ORDER BY coalesce(v.review_queued_at, v.updated_at), v.id
LIMIT @max_rows OFFSET @skip;

-- name: ReviewQueueTotal :one
SELECT count(*) FROM verification_requests v
WHERE v.tenant_id = @tenant_id AND v.status = 'PENDING_REVIEW'
  AND (sqlc.narg(risk)::text IS NULL OR v.risk_level = sqlc.narg(risk)::text)
  AND (sqlc.narg(reason)::text IS NULL OR sqlc.narg(reason)::text = ANY (v.reasons_for_review))
  AND (sqlc.narg(queued_after)::timestamptz IS NULL OR coalesce(v.review_queued_at, v.updated_at) > sqlc.narg(queued_after)::timestamptz)
  AND (sqlc.narg(queued_before)::timestamptz IS NULL OR coalesce(v.review_queued_at, v.updated_at) <= sqlc.narg(queued_before)::timestamptz)
  AND (NOT @only_unassigned::boolean OR v.assignee_id IS NULL)
  AND (sqlc.narg(assignee)::uuid IS NULL OR v.assignee_id = sqlc.narg(assignee)::uuid);

-- name: ReviewQueueFacets :one
-- Counts over the whole queue, for the filters and the dashboard.
SELECT count(*) AS total,
       count(*) FILTER (WHERE risk_level = 'HIGH') AS high,
       count(*) FILTER (WHERE risk_level = 'MEDIUM') AS medium,
       count(*) FILTER (WHERE risk_level = 'LOW') AS low,
       count(*) FILTER (WHERE assignee_id IS NULL) AS unassigned,
       count(*) FILTER (WHERE assignee_id = @me::uuid) AS mine,
       count(*) FILTER (WHERE coalesce(review_queued_at, updated_at) > @fresh_after::timestamptz) AS fresh,
       count(*) FILTER (WHERE coalesce(review_queued_at, updated_at) <= @fresh_after::timestamptz
                          AND coalesce(review_queued_at, updated_at) > @overdue_after::timestamptz) AS aging,
       count(*) FILTER (WHERE coalesce(review_queued_at, updated_at) <= @overdue_after::timestamptz) AS overdue
FROM verification_requests
WHERE tenant_id = @tenant_id AND status = 'PENDING_REVIEW';

-- name: ReviewQueueOldest :many
-- When the oldest waiting verification entered the queue (none when empty).
SELECT coalesce(review_queued_at, updated_at)::timestamptz AS queued_at
FROM verification_requests
WHERE tenant_id = @tenant_id AND status = 'PENDING_REVIEW'
ORDER BY 1
LIMIT 1;

-- name: ReviewQueueReasons :many
SELECT reason::text AS reason, count(*) AS n
FROM verification_requests, unnest(reasons_for_review) AS reason
WHERE tenant_id = @tenant_id AND status = 'PENDING_REVIEW'
GROUP BY reason
ORDER BY reason;

-- name: AssignReview :one
UPDATE verification_requests SET assignee_id = @assignee_id, assigned_at = now(), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DecideVerification :one
UPDATE verification_requests
SET status = @status, verification_method = sqlc.narg(verification_method), decision = @decision,
    decided_by = sqlc.narg(decided_by), decided_by_name = @decided_by_name, reviewer_notes = @reviewer_notes,
    additional_checks = @additional_checks, risk_mitigation = @risk_mitigation,
    completed_at = sqlc.narg(completed_at), updated_at = now(), version = version + 1
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: StaffName :one
SELECT display_name FROM staff WHERE tenant_id = @tenant_id AND id = @id;

-- Activation.

-- name: LatestVerificationForUpdate :one
SELECT * FROM verification_requests WHERE tenant_id = @tenant_id AND customer_id = @customer_id
ORDER BY created_at DESC, id DESC
LIMIT 1
FOR UPDATE;

-- name: CustomerWalletsForUpdate :many
SELECT * FROM wallets WHERE tenant_id = @tenant_id AND customer_id = @customer_id ORDER BY created_at, id FOR UPDATE;

-- name: ActivateWallet :one
UPDATE wallets
SET status = 'ACTIVE', currency = @currency, iban = sqlc.narg(iban), daily_limit = @daily_limit,
    requires_approval_above = @requires_approval_above, monthly_limit = @monthly_limit,
    single_transaction_limit = @single_transaction_limit, limits_source = sqlc.narg(limits_source), activated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ActivateCustomer :one
UPDATE customers SET status = 'ACTIVE', permission = 'SEND-AND-RECEIVE', updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: VerificationsDecidedPerDay :many
-- Verifications approved or rejected per day in a time zone, by how:
-- AUTOMATED or MANUAL.
SELECT (completed_at AT TIME ZONE @time_zone::text)::date AS day, status,
       (coalesce(verification_method, 'MANUAL'))::text AS method, count(*) AS n
FROM verification_requests
WHERE tenant_id = @tenant_id AND completed_at >= @since::timestamptz AND status IN ('APPROVED', 'REJECTED')
GROUP BY 1, 2, 3;
