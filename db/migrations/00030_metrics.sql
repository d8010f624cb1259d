-- +goose Up

-- The metrics endpoint asks questions across tenants: how many webhook
-- deliveries wait and since when (the outbox's lag), and how many
-- verifications wait for review and how many beyond the SLA. Each is
-- answered as figures, without showing any row.
-- +goose StatementBegin
CREATE FUNCTION metrics_outbox()
RETURNS TABLE (undelivered bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT count(*), min(d.created_at) FROM webhook_deliveries d WHERE d.status = 'PENDING'
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION metrics_outbox() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION metrics_outbox() TO ciam_app;

-- Deliveries are mostly DELIVERED; the pending few are found without
-- reading the rest.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE status = 'PENDING';

-- +goose StatementBegin
CREATE FUNCTION metrics_review_queue(p_overdue_before timestamptz)
RETURNS TABLE (waiting bigint, overdue bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT count(*),
           count(*) FILTER (WHERE coalesce(v.review_queued_at, v.updated_at) <= p_overdue_before),
           min(coalesce(v.review_queued_at, v.updated_at))
    FROM verification_requests v WHERE v.status = 'PENDING_REVIEW'
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION metrics_review_queue(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION metrics_review_queue(timestamptz) TO ciam_app;

-- The job queue's depth by queue and state. River's tables are made after
-- these migrations (by River's own), so the query is PL/pgSQL, resolved
-- when it runs. Finished jobs (completed, cancelled, discarded) are kept a
-- day and are not depth: they are left out, which keeps this on River's
-- index of states.
-- +goose StatementBegin
CREATE FUNCTION metrics_job_counts()
RETURNS TABLE (queue text, state text, jobs bigint)
LANGUAGE plpgsql STABLE SET search_path = public AS $$
BEGIN
    RETURN QUERY
    SELECT j.queue, j.state::text, count(*)
    FROM river_job j
    WHERE j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled')
    GROUP BY j.queue, j.state;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION metrics_job_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION metrics_job_counts() TO ciam_app;

-- +goose Down
-- Forward-only.
