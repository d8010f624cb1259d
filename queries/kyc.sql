-- name: VerificationRequestForUpdate :one
SELECT * FROM verification_requests WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: VerificationRequest :one
SELECT * FROM verification_requests WHERE tenant_id = @tenant_id AND id = @id;

-- name: CountRejectedUpload :one
UPDATE verification_requests
SET rejected_uploads = rejected_uploads + 1, locked = (rejected_uploads + 1 >= @max_rejections::int), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING rejected_uploads, locked;

-- name: SetVerificationStatus :one
UPDATE verification_requests
SET status = @status, checks_state = @checks_state, verification_method = sqlc.narg(verification_method),
    reasons_for_review = @reasons_for_review, assigned_to = sqlc.narg(assigned_to),
    completed_at = sqlc.narg(completed_at), updated_at = now(), version = version + 1,
    review_queued_at = CASE WHEN @status = 'PENDING_REVIEW' AND status <> 'PENDING_REVIEW' THEN now() ELSE review_queued_at END
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: SetChecksState :exec
UPDATE verification_requests SET checks_state = @checks_state, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: KYCRequirements :many
SELECT * FROM kyc_requirements WHERE tenant_id = @tenant_id ORDER BY cip_tag, country, risk_level, doc_type;

-- name: UpsertKYCRequirement :one
INSERT INTO kyc_requirements (id, tenant_id, cip_tag, country, risk_level, doc_type, sub_types, required, max_age_days)
VALUES (@id, @tenant_id, @cip_tag, @country, @risk_level, @doc_type, @sub_types, @required, @max_age_days)
ON CONFLICT (tenant_id, cip_tag, country, risk_level, doc_type)
DO UPDATE SET sub_types = excluded.sub_types, required = excluded.required, max_age_days = excluded.max_age_days, updated_at = now()
RETURNING *;

-- name: DeleteKYCRequirement :execrows
DELETE FROM kyc_requirements WHERE tenant_id = @tenant_id AND id = @id;

-- name: DocumentHashExists :one
SELECT EXISTS (SELECT 1 FROM documents WHERE tenant_id = @tenant_id AND verification_request_id = @verification_request_id AND sha256 = @sha256);

-- name: InsertDocument :one
INSERT INTO documents (id, tenant_id, verification_request_id, customer_id, type, sub_type, file_name, declared_mime, mime,
    size_bytes, sha256, width, height, pages, metadata, storage, key_id, evidence)
VALUES (@id, @tenant_id, @verification_request_id, @customer_id, @type, @sub_type, @file_name, @declared_mime, @mime,
    @size_bytes, @sha256, @width, @height, @pages, @metadata, @storage, @key_id, sqlc.narg(evidence))
RETURNING *;

-- name: InsertDocumentChunk :exec
INSERT INTO document_chunks (document_id, seq, tenant_id, content) VALUES (@document_id, @seq, @tenant_id, @content);

-- name: DocumentChunk :one
SELECT content FROM document_chunks WHERE tenant_id = @tenant_id AND document_id = @document_id AND seq = @seq;

-- name: DocumentChunkCount :one
SELECT count(*) FROM document_chunks WHERE tenant_id = @tenant_id AND document_id = @document_id;

-- name: UpdateDocumentChunk :exec
UPDATE document_chunks SET content = @content WHERE tenant_id = @tenant_id AND document_id = @document_id AND seq = @seq;

-- name: SetDocumentKey :exec
UPDATE documents SET key_id = @key_id WHERE tenant_id = @tenant_id AND id = @id;

-- name: DocumentEvidenceSealed :one
SELECT evidence FROM documents WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetDocumentEvidence :exec
UPDATE documents SET evidence = @evidence WHERE tenant_id = @tenant_id AND id = @id;

-- name: RequestDocuments :many
SELECT * FROM documents WHERE tenant_id = @tenant_id AND verification_request_id = @verification_request_id ORDER BY created_at;

-- name: Document :one
SELECT * FROM documents WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetDocumentsStatus :exec
UPDATE documents SET status = @status WHERE tenant_id = @tenant_id AND verification_request_id = @verification_request_id;

-- name: UpsertCheck :exec
INSERT INTO verification_checks (id, tenant_id, verification_request_id, kind, status, score, evidence)
VALUES (@id, @tenant_id, @verification_request_id, @kind, @status, @score, @evidence)
ON CONFLICT (verification_request_id, kind)
DO UPDATE SET status = excluded.status, score = excluded.score, evidence = excluded.evidence, created_at = now();

-- name: RequestChecks :many
SELECT * FROM verification_checks WHERE tenant_id = @tenant_id AND verification_request_id = @verification_request_id ORDER BY kind;

-- name: DocumentsByKey :many
SELECT id, tenant_id, storage FROM documents WHERE key_id <> @key_id ORDER BY created_at LIMIT @max_rows;


-- name: RaiseCustomerRiskToHigh :exec
-- A possible sanctions or PEP match makes the customer HIGH risk.
UPDATE customers
SET risk_level = 'HIGH', risk_reasons = array_append(array_remove(risk_reasons, @reason::text), @reason::text), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RaiseVerificationRiskToHigh :exec
UPDATE verification_requests SET risk_level = 'HIGH', updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RecentVerificationDurations :one
-- How long the tenant's verifications decided in the last 30 days took,
-- in seconds: automated ones from their last document to the decision,
-- reviewed ones from entering the review queue to the decision. The
-- 25th and 75th percentiles give the range customer apps are told.
SELECT
    count(*) FILTER (WHERE v.verification_method = 'AUTOMATED')::int AS automated,
    coalesce(percentile_cont(0.25) WITHIN GROUP (ORDER BY extract(epoch FROM v.completed_at - d.last_upload))
        FILTER (WHERE v.verification_method = 'AUTOMATED'), 0)::float8 AS automated_p25,
    coalesce(percentile_cont(0.75) WITHIN GROUP (ORDER BY extract(epoch FROM v.completed_at - d.last_upload))
        FILTER (WHERE v.verification_method = 'AUTOMATED'), 0)::float8 AS automated_p75,
    count(*) FILTER (WHERE v.verification_method = 'MANUAL' AND v.review_queued_at IS NOT NULL)::int AS reviewed,
    coalesce(percentile_cont(0.25) WITHIN GROUP (ORDER BY extract(epoch FROM v.completed_at - v.review_queued_at))
        FILTER (WHERE v.verification_method = 'MANUAL' AND v.review_queued_at IS NOT NULL), 0)::float8 AS reviewed_p25,
    coalesce(percentile_cont(0.75) WITHIN GROUP (ORDER BY extract(epoch FROM v.completed_at - v.review_queued_at))
        FILTER (WHERE v.verification_method = 'MANUAL' AND v.review_queued_at IS NOT NULL), 0)::float8 AS reviewed_p75
FROM verification_requests v
LEFT JOIN LATERAL (
    SELECT max(created_at) AS last_upload FROM documents
    WHERE documents.tenant_id = v.tenant_id AND documents.verification_request_id = v.id
) d ON true
WHERE v.tenant_id = @tenant_id AND v.completed_at IS NOT NULL AND v.completed_at > now() - interval '30 days';

-- name: VirtualDocumentExists :one
-- Whether the customer already has this value (by its MAC under any of
-- the field keys) as this kind and sub-type of virtual document.
SELECT EXISTS (SELECT 1 FROM virtual_documents
    WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND kind = @kind AND sub_type = @sub_type
      AND value_mac = ANY(@macs::bytea[]));

-- name: InsertVirtualDocument :one
INSERT INTO virtual_documents (id, tenant_id, customer_id, verification_request_id, kind, sub_type, country, value_sealed,
    value_mac, masked, status, key_id)
VALUES (@id, @tenant_id, @customer_id, @verification_request_id, @kind, @sub_type, @country, @value_sealed,
    @value_mac, @masked, @status, @key_id)
RETURNING *;

-- name: CustomerVirtualDocuments :many
SELECT * FROM virtual_documents WHERE tenant_id = @tenant_id AND customer_id = @customer_id ORDER BY created_at DESC, id;

-- name: VirtualDocumentsByKey :many
SELECT id, tenant_id, kind, sub_type, value_sealed FROM virtual_documents
WHERE key_id <> @key_id ORDER BY created_at LIMIT @max_rows;

-- name: ResealVirtualDocument :exec
UPDATE virtual_documents SET value_sealed = @value_sealed, value_mac = @value_mac, key_id = @key_id, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CIPExists :one
-- Whether the tenant has a program with this tag (tag 1 always exists).
SELECT @cip_tag::int = 1 OR EXISTS (SELECT 1 FROM kyc_requirements WHERE tenant_id = @tenant_id AND cip_tag = @cip_tag::int);

-- The re-screening's question who holds a listed document number goes
-- through screening digests (migration 00047): rows not digested yet are
-- read a batch at a time in id order and given theirs; the holders are
-- then found by digest, and only their documents opened.

-- name: UndigestedIdentityDocuments :many
-- The tenant's read identity documents without a screening digest, after
-- the id after, in id order.
SELECT id, customer_id, sub_type, evidence FROM documents
WHERE tenant_id = @tenant_id AND type = 'IDENTITY_DOCUMENT' AND evidence IS NOT NULL AND screening_digest IS NULL
  AND id > @after
ORDER BY id
LIMIT @max_rows;

-- name: SetDocumentScreeningDigests :exec
-- Stores the digests of documents as they were read: a row whose evidence
-- changed since (its SHA-256 is not the one read) keeps no digest.
UPDATE documents d SET screening_digest = x.digest
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@digests::bytea[]) AS digest, unnest(@sealed_sha256::bytea[]) AS sha) x
WHERE d.tenant_id = @tenant_id AND d.id = x.id AND d.screening_digest IS NULL AND sha256(d.evidence) = x.sha;

-- name: UndigestedVirtualDocuments :many
-- The tenant's virtual documents without a screening digest, after the id
-- after, in id order.
SELECT id, customer_id, sub_type, country, value_sealed FROM virtual_documents
WHERE tenant_id = @tenant_id AND kind = 'VIRTUAL_DOCUMENT' AND screening_digest IS NULL AND id > @after
ORDER BY id
LIMIT @max_rows;

-- name: SetVirtualDocumentScreeningDigests :exec
-- As SetDocumentScreeningDigests, for virtual documents' sealed values.
UPDATE virtual_documents v SET screening_digest = x.digest
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@digests::bytea[]) AS digest, unnest(@sealed_sha256::bytea[]) AS sha) x
WHERE v.tenant_id = @tenant_id AND v.id = x.id AND v.screening_digest IS NULL AND sha256(v.value_sealed) = x.sha;

-- name: ScreeningDigestHolders :many
-- The customers with a document or virtual document whose screening
-- digest is one of digests.
SELECT d.customer_id FROM documents d WHERE d.tenant_id = @tenant_id AND d.screening_digest = ANY(@digests::bytea[])
UNION
SELECT v.customer_id FROM virtual_documents v WHERE v.tenant_id = @tenant_id AND v.screening_digest = ANY(@digests::bytea[]);

-- name: CustomersIdentityDocumentEvidence :many
-- The read identity documents of customers, for all their numbers.
SELECT id, customer_id, sub_type, evidence FROM documents
WHERE tenant_id = @tenant_id AND customer_id = ANY(@customer_ids::uuid[]) AND type = 'IDENTITY_DOCUMENT' AND evidence IS NOT NULL;

-- name: CustomersIdentifierVirtualDocuments :many
-- The virtual documents of customers that are document numbers.
SELECT id, customer_id, sub_type, country, value_sealed FROM virtual_documents
WHERE tenant_id = @tenant_id AND customer_id = ANY(@customer_ids::uuid[]) AND kind = 'VIRTUAL_DOCUMENT'
  AND sub_type IN ('PASSPORT_NUMBER', 'NATIONAL_ID', 'SSN', 'TIN');
