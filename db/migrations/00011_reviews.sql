-- +goose Up

-- When a verification entered the review queue. Its age against the review
-- SLA counts from here, not from registration; SetVerificationStatus sets it
-- each time a verification (re-)enters PENDING_REVIEW.
ALTER TABLE verification_requests ADD COLUMN review_queued_at timestamptz;
UPDATE verification_requests SET review_queued_at = updated_at WHERE status = 'PENDING_REVIEW';
CREATE INDEX verification_requests_review_queue ON verification_requests (tenant_id, review_queued_at, id)
    WHERE status = 'PENDING_REVIEW';

-- +goose Down
-- Forward-only.
