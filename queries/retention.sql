-- Customer data keys (internal/shred), legal holds and retention
-- (internal/retention).

-- name: CustomerKey :one
-- mine: the row's version was written by this transaction (made or
-- destroyed in it), so it must not outlive the transaction in a cache.
SELECT sealed_key, destroyed_at, coalesce(xmin = pg_current_xact_id_if_assigned()::xid, false)::boolean AS mine
FROM customer_keys WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: CreateCustomerKey :exec
INSERT INTO customer_keys (customer_id, tenant_id, sealed_key) VALUES (@customer_id, @tenant_id, @sealed_key)
ON CONFLICT (customer_id) DO NOTHING;

-- name: DestroyCustomerKey :exec
-- A customer who never had a key gets a destroyed one, so that nothing is
-- sealed for them again.
INSERT INTO customer_keys (customer_id, tenant_id, sealed_key, destroyed_at) VALUES (@customer_id, @tenant_id, NULL, @now)
ON CONFLICT (customer_id) DO UPDATE SET sealed_key = NULL, destroyed_at = coalesce(customer_keys.destroyed_at, EXCLUDED.destroyed_at);

-- name: EraseCustomerRow :one
-- Overwrites the customer's personal columns; id, tenant, dates, risk and
-- nationality (the country the retention periods are looked up for) stay.
UPDATE customers
SET email = 'erased-' || id::text || '@erased.invalid', first_name = @marker, middle_name = '', last_name = @marker,
    date_of_birth = '0001-01-01', place_of_birth = '', phone_number = '', alternate_phone_number = '',
    address = CASE WHEN address ? 'country' THEN jsonb_build_object('country', address->'country') ELSE '{}'::jsonb END,
    occupation = '', employer_name = '', annual_income = NULL, source_of_funds = '', registration_ip = '',
    categorization = NULL, status = 'ERASED', permission = 'CLOSED', previous_status = NULL, previous_permission = NULL,
    erased_at = @now, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING id, status;

-- name: DisableCustomerCredential :exec
UPDATE customer_credentials
SET status = 'DISABLED', password_hash = '', pin_hash = NULL, totp_secret = NULL, totp_confirmed_at = NULL
WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: DeletePasswordHistory :exec
DELETE FROM password_history ph WHERE ph.tenant_id = @tenant_id
  AND ph.credential_id IN (SELECT cc.id FROM customer_credentials cc WHERE cc.tenant_id = @tenant_id AND cc.customer_id = @customer_id);

-- name: DeleteCustomerVirtualDocuments :execrows
DELETE FROM virtual_documents WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: DeleteCustomerComplianceFieldValues :execrows
-- The custom compliance fields kept as values (not virtual documents),
-- sealed or not.
DELETE FROM compliance_field_values WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: CustomerDocumentIDs :many
SELECT id FROM documents WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: DeleteDocumentChunks :exec
DELETE FROM document_chunks WHERE tenant_id = @tenant_id AND document_id = @document_id;

-- name: DeleteDocument :execrows
DELETE FROM documents WHERE tenant_id = @tenant_id AND id = @id;

-- name: CustomerEventsForScrub :many
SELECT id, payload FROM events
WHERE tenant_id = @tenant_id AND ((entity_type = 'customer' AND entity_id = @customer_id::text) OR payload->>'customerId' = @customer_id::text);

-- name: ScrubEventPayload :exec
UPDATE events SET payload = @payload WHERE tenant_id = @tenant_id AND id = @id;

-- name: RetentionSettings :one
SELECT retention_documents_days, retention_closed_days FROM tenant_settings WHERE tenant_id = @tenant_id;

-- name: UpdateRetentionSettings :exec
UPDATE tenant_settings SET retention_documents_days = @retention_documents_days, retention_closed_days = @retention_closed_days,
    updated_at = now()
WHERE tenant_id = @tenant_id;

-- name: CustomerHoldReasons :one
-- Why a customer is on legal hold: each kind counted.
SELECT
    (SELECT count(*) FROM aml_alerts a WHERE a.tenant_id = @tenant_id AND a.customer_id = @customer_id AND a.status IN ('OPEN', 'ESCALATED'))::bigint AS open_alerts,
    (SELECT count(*) FROM aml_alerts a WHERE a.tenant_id = @tenant_id AND a.customer_id = @customer_id AND a.status = 'SAR_DRAFTED')::bigint AS sar_drafts,
    (SELECT count(*) FROM cases c WHERE c.tenant_id = @tenant_id AND c.customer_id = @customer_id AND c.status IN ('OPEN', 'INVESTIGATING'))::bigint AS open_cases,
    (SELECT count(*) FROM legal_holds h WHERE h.tenant_id = @tenant_id AND h.customer_id = @customer_id AND h.released_at IS NULL)::bigint AS manual_holds;

-- name: DueClosedCustomers :many
-- Closed customers whose period has ended by @now, each with why it is
-- held (when it is): the preview lists both, the run erases the free ones.
SELECT c.id, c.first_name, c.last_name, c.closed_at,
    EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status IN ('OPEN', 'ESCALATED')) AS open_alert,
    EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status = 'SAR_DRAFTED') AS sar_draft,
    EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = c.tenant_id AND k.customer_id = c.id AND k.status IN ('OPEN', 'INVESTIGATING')) AS open_case,
    EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = c.tenant_id AND h.customer_id = c.id AND h.released_at IS NULL) AS manual_hold
FROM customers c
WHERE c.tenant_id = @tenant_id AND c.status = 'CLOSED' AND c.closed_at IS NOT NULL
  AND coalesce(nullif(c.address->>'country', ''), c.nationality) = @country::text
  AND c.closed_at + make_interval(days => @days::int) <= @now::timestamptz
ORDER BY c.closed_at, c.id;

-- name: DueDocuments :many
-- Documents uploaded more than @days days before @now, or, when
-- @after_closing, of customers closed more than @days days before @now (a
-- period that runs from the end of the relationship), with their
-- customer's holds.
SELECT d.id, d.customer_id, d.type, d.created_at, c.first_name, c.last_name,
    EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status IN ('OPEN', 'ESCALATED')) AS open_alert,
    EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.status = 'SAR_DRAFTED') AS sar_draft,
    EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = c.tenant_id AND k.customer_id = c.id AND k.status IN ('OPEN', 'INVESTIGATING')) AS open_case,
    EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = c.tenant_id AND h.customer_id = c.id AND h.released_at IS NULL) AS manual_hold
FROM documents d JOIN customers c ON c.tenant_id = d.tenant_id AND c.id = d.customer_id
WHERE d.tenant_id = @tenant_id AND coalesce(nullif(c.address->>'country', ''), c.nationality) = @country::text
  AND CASE WHEN @after_closing::boolean
           THEN c.status = 'CLOSED' AND c.closed_at IS NOT NULL AND c.closed_at + make_interval(days => @days::int) <= @now::timestamptz
           ELSE d.created_at + make_interval(days => @days::int) <= @now::timestamptz END
ORDER BY d.created_at, d.id;

-- name: OpenLegalHold :one
SELECT * FROM legal_holds WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND released_at IS NULL;

-- name: CustomerLegalHolds :many
SELECT * FROM legal_holds WHERE tenant_id = @tenant_id AND customer_id = @customer_id ORDER BY set_at DESC;

-- name: CreateLegalHold :one
INSERT INTO legal_holds (id, tenant_id, customer_id, reason, set_by, set_by_name, set_at)
VALUES (@id, @tenant_id, @customer_id, @reason, @set_by, @set_by_name, @set_at)
RETURNING *;

-- name: ReleaseLegalHold :one
UPDATE legal_holds SET released_by = @released_by, released_by_name = @released_by_name, released_reason = @released_reason,
    released_at = @released_at
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND released_at IS NULL
RETURNING *;


-- name: RetentionCountries :many
-- The countries a tenant's customers are of (their address's, else their
-- nationality; erasure keeps the country): the retention periods are
-- looked up for each. Erased customers count: their transactions have a
-- period of their own.
SELECT DISTINCT coalesce(nullif(address->>'country', ''), nationality)::text AS country
FROM customers WHERE tenant_id = @tenant_id
ORDER BY 1;

-- name: CustomerForErasure :one
SELECT id, status, coalesce(nullif(address->>'country', ''), nationality)::text AS country
FROM customers WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: DocumentForRetention :one
-- A due document, locked, with its customer's standing now: a customer
-- reopened since the plan keeps a document whose period runs from the
-- closing.
SELECT d.id, d.customer_id, d.type, d.created_at, c.status AS customer_status, c.closed_at AS customer_closed_at
FROM documents d JOIN customers c ON c.tenant_id = d.tenant_id AND c.id = d.customer_id
WHERE d.tenant_id = @tenant_id AND d.id = @id
FOR UPDATE OF d;

-- name: EraseVerificationChecks :exec
-- What the checks read from the customer's documents (names, numbers,
-- dates) goes with them; the checks' kinds and outcomes stay.
UPDATE verification_checks vc SET evidence = '{"erased": true}'::jsonb
WHERE vc.tenant_id = @tenant_id
  AND vc.verification_request_id IN (SELECT vr.id FROM verification_requests vr WHERE vr.tenant_id = @tenant_id AND vr.customer_id = @customer_id);

-- name: EraseReviewerNotes :exec
UPDATE verification_requests SET reviewer_notes = CASE WHEN reviewer_notes IS NULL THEN NULL ELSE @marker::text END
WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: EraseScreeningHitSubjects :exec
-- The name the customer was screened under, the explanation that quotes
-- it and the analyst's note on the decision; the listed entry and the
-- decision stay.
UPDATE screening_hits SET subject_name = @marker, explanation = '{}'::jsonb,
    note = CASE WHEN note = '' THEN '' ELSE @marker END
WHERE tenant_id = @tenant_id AND subject_id = @customer_id;

-- name: EraseCustomerSessionTraces :exec
-- The addresses and browsers the customer's sessions came from.
UPDATE customer_sessions SET ip = '', user_agent = ''
WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: EraseWalletAccounts :exec
-- The wallets stay (their ledger does), without the customer's IBAN.
UPDATE wallets SET iban = NULL WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: CustomerChangeRequests :many
SELECT id, payload, before, after FROM change_requests
WHERE tenant_id = @tenant_id AND target_type = 'customer' AND target_id = @customer_id::text;

-- name: EraseChangeRequest :exec
-- A request pending on an erased customer would write their data back:
-- it is cancelled.
UPDATE change_requests SET payload = @payload, before = @before, after = @after,
    status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
    decision_reason = CASE WHEN status = 'PENDING' THEN 'the customer was erased' ELSE decision_reason END,
    decided_at = CASE WHEN status = 'PENDING' THEN @now::timestamptz ELSE decided_at END
WHERE tenant_id = @tenant_id AND id = @id;

-- name: EraseAlertComments :exec
-- Analysts' comments on the customer's alerts and the text of the alerts'
-- timelines (comments, reasons, report narratives) quote the customer:
-- their text goes; who wrote them and when stay, as do assignees' names.
WITH erased_comments AS (
    UPDATE aml_alert_comments ac SET body = @marker::text
    WHERE ac.tenant_id = @tenant_id
      AND ac.alert_id IN (SELECT a.id FROM aml_alerts a WHERE a.tenant_id = @tenant_id AND a.customer_id = @customer_id)
    RETURNING ac.id
)
UPDATE aml_alert_events ae SET body = CASE WHEN ae.body = '' OR ae.kind IN ('ASSIGNED', 'UNASSIGNED') THEN ae.body ELSE @marker::text END
WHERE ae.tenant_id = @tenant_id
  AND ae.alert_id IN (SELECT a.id FROM aml_alerts a WHERE a.tenant_id = @tenant_id AND a.customer_id = @customer_id);

-- name: EraseCaseNarratives :exec
-- The titles of the customer's cases and the text of their timelines
-- (comments, reasons given) go; the events, their kinds and times stay.
WITH erased_cases AS (
    UPDATE cases k SET title = @marker::text WHERE k.tenant_id = @tenant_id AND k.customer_id = @customer_id RETURNING k.id
)
UPDATE case_events ce SET body = CASE WHEN ce.body = '' THEN '' ELSE @marker::text END
WHERE ce.tenant_id = @tenant_id AND ce.case_id IN (SELECT e.id FROM erased_cases e);

-- name: EraseCaseAttachments :exec
-- Files analysts attached to the customer's cases go: their content is
-- deleted and the attachment keeps its size 0 and the marker for a name,
-- so that the timeline still says a file was attached.
WITH gone AS (
    DELETE FROM case_attachment_chunks ch
    WHERE ch.tenant_id = @tenant_id
      AND ch.attachment_id IN (SELECT ca.id FROM case_attachments ca JOIN cases k ON k.tenant_id = ca.tenant_id AND k.id = ca.case_id
                               WHERE ca.tenant_id = @tenant_id AND k.customer_id = @customer_id)
    RETURNING ch.attachment_id
)
UPDATE case_attachments a SET file_name = @marker::text, size_bytes = 0, sha256 = '\x'::bytea
WHERE a.tenant_id = @tenant_id AND a.case_id IN (SELECT k.id FROM cases k WHERE k.tenant_id = @tenant_id AND k.customer_id = @customer_id);

-- Transactions past the pack's "transactions" period (migration 00048).
-- By the transaction's time: those of the tenant's customers of @country
-- that took place at or before @cutoff; after the closing: those of its
-- customers of @country closed (or since erased) at or before @cutoff.

-- name: DueTransactionCounts :one
-- How many transactions are past their period, and how many of those
-- stay (aml_transaction_kept), for the preview.
SELECT count(*) FILTER (WHERE NOT x.kept)::bigint AS due, count(*) FILTER (WHERE x.kept)::bigint AS held
FROM (SELECT aml_transaction_kept(t.tenant_id, t.customer_id, t.id) AS kept
      FROM aml_transactions t JOIN customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
      WHERE t.tenant_id = @tenant_id AND coalesce(nullif(c.address->>'country', ''), c.nationality) = @country::text
        AND CASE WHEN @after_closing::boolean
                 THEN c.status IN ('CLOSED', 'ERASED') AND c.closed_at <= @cutoff::timestamptz
                 ELSE t.occurred_at <= @cutoff::timestamptz END) x;

-- name: DeleteDueTransactions :many
-- Deletes up to @max_rows transactions past their period by their time,
-- oldest first after (@after_at, @after_id), none that stays.
WITH due AS (
    SELECT t.id FROM aml_transactions t JOIN customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
    WHERE t.tenant_id = @tenant_id AND t.occurred_at <= @cutoff::timestamptz
      AND (t.occurred_at, t.id) > (@after_at::timestamptz, @after_id::uuid)
      AND coalesce(nullif(c.address->>'country', ''), c.nationality) = @country::text
      AND NOT aml_transaction_kept(t.tenant_id, t.customer_id, t.id)
    ORDER BY t.occurred_at, t.id
    LIMIT @max_rows
    FOR UPDATE OF t SKIP LOCKED)
DELETE FROM aml_transactions t USING due WHERE t.tenant_id = @tenant_id AND t.id = due.id
RETURNING t.id, t.customer_id, t.occurred_at;

-- name: DeleteTransactionsAfterClosing :many
-- Deletes up to @max_rows transactions of customers closed at or before
-- @cutoff, none that stays.
WITH due AS (
    SELECT t.id FROM customers c JOIN aml_transactions t ON t.tenant_id = c.tenant_id AND t.customer_id = c.id
    WHERE c.tenant_id = @tenant_id AND c.status IN ('CLOSED', 'ERASED') AND c.closed_at <= @cutoff::timestamptz
      AND coalesce(nullif(c.address->>'country', ''), c.nationality) = @country::text
      AND NOT aml_transaction_kept(t.tenant_id, t.customer_id, t.id)
    LIMIT @max_rows
    FOR UPDATE OF t SKIP LOCKED)
DELETE FROM aml_transactions t USING due WHERE t.tenant_id = @tenant_id AND t.id = due.id
RETURNING t.id, t.customer_id, t.occurred_at;

-- name: EraseCustomerSubjectExports :execrows
-- The customer's finished subject access exports: their ZIPs (sealed
-- under the field keys, not the customer's data key) are deleted and the
-- exports expire; who asked and when stay.
WITH gone AS (
    DELETE FROM subject_export_chunks ch
    WHERE ch.tenant_id = @tenant_id
      AND ch.export_id IN (SELECT e.id FROM subject_exports e WHERE e.tenant_id = @tenant_id AND e.customer_id = @customer_id)
)
UPDATE subject_exports x SET status = 'EXPIRED'
WHERE x.tenant_id = @tenant_id AND x.customer_id = @customer_id AND x.status = 'DONE';
