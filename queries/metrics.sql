-- name: MetricsOutbox :one
-- Webhook deliveries not yet delivered, and how long the oldest has
-- waited in seconds (0 when none waits).
SELECT undelivered::bigint AS undelivered,
       coalesce(extract(epoch FROM now() - oldest), 0)::float8 AS oldest_seconds
FROM metrics_outbox();

-- name: MetricsReviewQueue :one
-- Verifications waiting for review, those queued at or before
-- overdue_before, and how long the oldest has waited in seconds.
SELECT waiting::bigint AS waiting, overdue::bigint AS overdue,
       coalesce(extract(epoch FROM now() - oldest), 0)::float8 AS oldest_seconds
FROM metrics_review_queue(@overdue_before::timestamptz);

-- name: MetricsJobCounts :many
-- Unfinished jobs by queue and state.
SELECT queue::text AS queue, state::text AS state, jobs::bigint AS jobs FROM metrics_job_counts();

-- name: MetricsScreeningSourceFetches :many
-- Each fetched list's alert and how long ago its publisher last answered
-- (-1: never).
SELECT source_id, alert, coalesce(extract(epoch FROM now() - last_success_at), -1)::float8 AS success_age_seconds
FROM screening_source_fetch WHERE enabled ORDER BY source_id;

-- name: MetricsScreeningLists :many
-- Each list's version in use: how long ago it was loaded, in seconds, and
-- how many entries it has.
SELECT source_id, extract(epoch FROM now() - loaded_at)::float8 AS age_seconds, entry_count
FROM screening_list_versions WHERE status = 'CURRENT' ORDER BY source_id;
