-- AML transaction monitoring (internal/aml).

-- ---------------------------------------------------------------- screening

-- name: AMLScreenSubject :one
-- The customer as the rules see them, their limits from activation, the
-- tenant's time zone and AML revision. A screening reads it under the
-- customer's lock (taken as its transaction began, so this statement sees
-- every row committed before it), with what the rules will ask of the
-- history, in the same round trip: the customer's rows after @after (none
-- when @after is negative: the server has no copy of their window to bring
-- up to date), oldest first, and whether they dealt with the counterparty
-- before @before (never for an empty key).
SELECT c.id, c.status, c.risk_level, c.nationality,
       (coalesce(c.address ->> 'country', ''))::text AS country,
       -- The categorisation's transactionMonitoring (REAL_TIME, BATCH_DAILY), "" when it sets none.
       (coalesce(jsonb_path_query_first(c.categorization,
           '$.categoryFeatureRelations[*] ? (@.enabled == true).parametrization[*] ? (@.name == "transactionMonitoring").value') #>> '{}', ''))::text
           AS transaction_monitoring,
       w.daily_limit, w.requires_approval_above, w.currency AS wallet_currency,
       (coalesce((SELECT s.revision FROM aml_state s WHERE s.tenant_id = c.tenant_id), 0))::bigint AS revision,
       t.time_zone,
       (SELECT coalesce(json_agg(json_build_array(x.seq, (extract(epoch FROM x.occurred_at) * 1000000)::bigint, x.direction,
                   x.type, x.channel, x.currency, x.amount_units, x.amount_ref_units, x.counterparty_country) ORDER BY x.seq), '[]')
        FROM aml_transactions x
        WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id AND x.seq > @after::bigint AND @after::bigint >= 0)::json AS later,
       EXISTS (
           SELECT 1 FROM aml_transactions x
           WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id AND x.counterparty_key = @counterparty_key::text
             AND x.counterparty_key <> '' AND x.occurred_at < @before::timestamptz
       ) AS counterparty_seen
FROM customers c
JOIN tenants t ON t.id = c.tenant_id
LEFT JOIN LATERAL (
    SELECT wl.daily_limit, wl.requires_approval_above, wl.currency
    FROM wallets wl
    WHERE wl.tenant_id = c.tenant_id AND wl.customer_id = c.id
      AND (wl.daily_limit IS NOT NULL OR wl.requires_approval_above IS NOT NULL)
    ORDER BY (wl.status = 'ACTIVE') DESC, wl.activated_at DESC NULLS LAST
    LIMIT 1
) w ON true
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: AMLTransactionByRef :one
SELECT id, request_hash, decision, score, triggered, alert_id
FROM aml_transactions WHERE tenant_id = @tenant_id AND transaction_ref = @transaction_ref;

-- name: AMLCustomerWindow :many
-- A customer's transactions from since on: one index range, never the
-- whole history, and only the columns aggregates read.
SELECT seq, occurred_at, direction, type, channel, currency, amount_units, amount_ref_units, counterparty_country
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND occurred_at >= @since
ORDER BY occurred_at;

-- name: AMLCustomerAfter :many
-- A customer's transactions added after seq.
SELECT seq, occurred_at, direction, type, channel, currency, amount_units, amount_ref_units, counterparty_country
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND seq > @after
ORDER BY seq;

-- name: AMLCustomerLastSeq :one
SELECT (coalesce(max(seq), 0))::bigint AS seq FROM aml_transactions WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: AMLCounterpartyWindow :many
-- Every customer's transactions with one counterparty in [since, until).
SELECT occurred_at, direction, type, channel, currency, amount_units, amount_ref_units, counterparty_country
FROM aml_transactions
WHERE tenant_id = @tenant_id AND counterparty_key = @counterparty_key AND counterparty_key <> ''
  AND occurred_at >= @since AND occurred_at < @until
ORDER BY occurred_at;

-- name: AMLLastBefore :one
-- The customer's latest transaction stamped at or before @before: one of
-- the same instant was screened earlier, so the customer was not idle.
SELECT occurred_at FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND occurred_at <= @before
ORDER BY occurred_at DESC LIMIT 1;

-- name: AMLCounterpartySeen :one
SELECT EXISTS (
    SELECT 1 FROM aml_transactions
    WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND counterparty_key = @counterparty_key
      AND counterparty_key <> '' AND occurred_at < @before
);

-- name: AMLInsertTransaction :execrows
-- The screened transaction; nothing is inserted (0 rows) when the
-- transactionId was screened before.
INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction, amount, currency,
    amount_units, amount_ref_units, channel, occurred_at, counterparty_name, counterparty_country, counterparty_account,
    counterparty_key, decision, score, triggered, notes, rules_evaluated, rules_failed, alert_id, trace_id, screened_by, created_at)
VALUES (@id, @tenant_id, @customer_id, @transaction_ref, @request_hash, @type, @direction, @amount, @currency,
    @amount_units, @amount_ref_units, @channel, @occurred_at, @counterparty_name, @counterparty_country, @counterparty_account,
    @counterparty_key, @decision, @score, @triggered, @notes, @rules_evaluated, @rules_failed, @alert_id, @trace_id, @screened_by, @created_at)
ON CONFLICT (tenant_id, transaction_ref) DO NOTHING;

-- name: AMLInsertHits :exec
-- The rules a screened transaction triggered and those that failed on it,
-- in one statement.
WITH hits AS (
    INSERT INTO aml_rule_hits (tenant_id, rule_key, version, transaction_id, outcome, created_at)
    SELECT @tenant_id, h.rule_key, h.version, @transaction_id::uuid, h.outcome, @created_at
    FROM (SELECT unnest(@hit_keys::text[]) AS rule_key, unnest(@hit_versions::int[]) AS version,
                 unnest(@hit_outcomes::text[]) AS outcome) h
)
INSERT INTO aml_rule_errors (tenant_id, rule_id, version, transaction_id, message, created_at)
SELECT @tenant_id, e.rule_id, e.version, @transaction_id::uuid, e.message, @created_at
FROM (SELECT unnest(@failed_rules::uuid[]) AS rule_id, unnest(@failed_versions::int[]) AS version,
             unnest(@failed_messages::text[]) AS message) e;

-- name: AMLInsertAlert :one
INSERT INTO aml_alerts (id, tenant_id, customer_id, transaction_id, decision, severity, score, rule_names, amount, currency, created_at, updated_at)
VALUES (@id, @tenant_id, @customer_id, @transaction_id, @decision, @severity, @score, @rule_names, @amount, @currency, @created_at, @created_at)
RETURNING *;

-- ----------------------------------------------------------------- snapshot

-- name: AMLRevision :one
SELECT (coalesce((SELECT revision FROM aml_state WHERE tenant_id = @tenant_id), 0))::bigint AS revision;

-- name: AMLBumpRevision :one
INSERT INTO aml_state (tenant_id, revision) VALUES (@tenant_id, 1)
ON CONFLICT (tenant_id) DO UPDATE SET revision = aml_state.revision + 1, updated_at = now()
RETURNING revision;

-- name: AMLActiveRules :many
SELECT v.*
FROM aml_rules r
JOIN aml_rule_versions v ON v.rule_id = r.id AND v.version = r.active_version
WHERE r.tenant_id = @tenant_id
ORDER BY r.created_at, r.id;

-- name: AMLAllListEntries :many
SELECT l.name AS list_name, e.kind, e.value, e.normalized
FROM aml_list_entries e JOIN aml_lists l ON l.id = e.list_id
WHERE e.tenant_id = @tenant_id;

-- name: AMLListNames :many
SELECT name FROM aml_lists WHERE tenant_id = @tenant_id ORDER BY lower(name);

-- name: AMLRates :many
SELECT * FROM aml_fx_rates WHERE tenant_id = @tenant_id ORDER BY currency;

-- -------------------------------------------------------------------- rules

-- name: AMLInsertRule :exec
INSERT INTO aml_rules (id, tenant_id, created_by) VALUES (@id, @tenant_id, @created_by);

-- name: AMLRule :one
SELECT * FROM aml_rules WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLRuleForUpdate :one
SELECT * FROM aml_rules WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: AMLSetActiveVersion :exec
UPDATE aml_rules SET active_version = sqlc.narg(active_version), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLTouchRule :exec
UPDATE aml_rules SET updated_at = now() WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLInsertVersion :one
INSERT INTO aml_rule_versions (tenant_id, rule_id, version, name, description, scope, form, expression, outcome, score, digest, edited_by)
VALUES (@tenant_id, @rule_id, @version, @name, @description, @scope, @form, @expression, @outcome, @score, @digest, @edited_by)
RETURNING *;

-- name: AMLUpdateVersion :one
UPDATE aml_rule_versions
SET name = @name, description = @description, scope = @scope, form = @form, expression = @expression,
    outcome = @outcome, score = @score, digest = @digest, edited_by = @edited_by, updated_at = now()
WHERE tenant_id = @tenant_id AND rule_id = @rule_id AND version = @version
RETURNING *;

-- name: AMLMarkPublished :exec
UPDATE aml_rule_versions SET published_at = coalesce(published_at, now())
WHERE tenant_id = @tenant_id AND rule_id = @rule_id AND version = @version;

-- name: AMLVersion :one
SELECT * FROM aml_rule_versions WHERE tenant_id = @tenant_id AND rule_id = @rule_id AND version = @version;

-- name: AMLVersions :many
SELECT * FROM aml_rule_versions WHERE tenant_id = @tenant_id AND rule_id = @rule_id ORDER BY version DESC;

-- name: AMLLatestVersion :one
SELECT * FROM aml_rule_versions WHERE tenant_id = @tenant_id AND rule_id = @rule_id ORDER BY version DESC LIMIT 1;

-- name: AMLVersionProposed :one
-- Whether a version was ever put up for approval: from then on it is
-- frozen, and an edit makes the next version.
SELECT EXISTS (
    SELECT 1 FROM change_requests
    WHERE tenant_id = @tenant_id AND target_type = 'aml_rule' AND target_id = @rule_id::text
      AND payload ->> 'version' = (@version::int)::text
);

-- name: AMLRuleList :many
-- Every rule with its latest version and its active version, if any.
SELECT r.id, r.active_version, r.created_at, r.updated_at,
       l.version AS latest_version, l.name, l.description, l.scope, l.outcome, l.score, l.expression,
       l.published_at AS latest_published_at,
       a.name AS active_name, a.scope AS active_scope, a.outcome AS active_outcome
FROM aml_rules r
JOIN LATERAL (SELECT * FROM aml_rule_versions v WHERE v.rule_id = r.id ORDER BY v.version DESC LIMIT 1) l ON true
LEFT JOIN aml_rule_versions a ON a.rule_id = r.id AND a.version = r.active_version
WHERE r.tenant_id = @tenant_id
ORDER BY (r.active_version IS NULL), lower(coalesce(a.name, l.name)), r.id;

-- name: AMLRuleHitsByDay :many
SELECT rule_key, (date_trunc('day', created_at AT TIME ZONE @tz::text))::date AS day, count(*) AS hits
FROM aml_rule_hits
WHERE tenant_id = @tenant_id AND created_at >= @since
GROUP BY 1, 2;

-- name: AMLRuleErrorStats :many
SELECT rule_id, count(*) AS errors, max(created_at)::timestamptz AS last_at,
       (array_agg(message ORDER BY created_at DESC))[1]::text AS last_message
FROM aml_rule_errors
WHERE tenant_id = @tenant_id AND created_at >= @since
GROUP BY rule_id;

-- name: AMLRuleErrors :many
SELECT * FROM aml_rule_errors WHERE tenant_id = @tenant_id AND rule_id = @rule_id ORDER BY created_at DESC LIMIT @max_rows;

-- name: AMLCustomerTransactions :many
-- A customer's screened transactions, latest first.
SELECT id, transaction_ref, type, direction, amount, currency, channel, occurred_at, counterparty_name, counterparty_country,
       decision, score, alert_id
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id
ORDER BY occurred_at DESC, seq DESC
LIMIT @max_rows;

-- name: AMLCustomerTransactionsAfter :many
-- A customer's screened transactions in the order they were screened,
-- after seq after_seq: all of them, page by page (subject access).
SELECT seq, id, transaction_ref, type, direction, amount, currency, channel, occurred_at, counterparty_name, counterparty_country,
       counterparty_account, decision, score, triggered, notes, alert_id, created_at
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND seq > @after_seq
ORDER BY seq
LIMIT @max_rows;

-- name: AMLDecisionsByDay :many
SELECT (date_trunc('day', created_at AT TIME ZONE @tz::text))::date AS day, decision, count(*) AS n
FROM aml_transactions
WHERE tenant_id = @tenant_id AND created_at >= @since
GROUP BY 1, 2;

-- ------------------------------------------------------------- shadow runs

-- name: AMLInsertShadowRun :one
INSERT INTO aml_shadow_runs (id, tenant_id, rule_id, version, days, status, period_from, period_to, active_version, requested_by)
VALUES (@id, @tenant_id, @rule_id, @version, @days, 'QUEUED', @period_from, @period_to, sqlc.narg(active_version), @requested_by)
RETURNING *;

-- name: AMLShadowRun :one
SELECT * FROM aml_shadow_runs WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLShadowRuns :many
SELECT * FROM aml_shadow_runs WHERE tenant_id = @tenant_id AND rule_id = @rule_id ORDER BY created_at DESC LIMIT @max_rows;

-- name: AMLShadowStart :exec
UPDATE aml_shadow_runs SET status = 'RUNNING', total = @total, started_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLShadowProgress :exec
UPDATE aml_shadow_runs SET processed = @processed, hits = @hits, errors = @errors, active_hits = sqlc.narg(active_hits)
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLShadowFinish :exec
UPDATE aml_shadow_runs
SET status = @status, processed = @processed, hits = @hits, customers = @customers, errors = @errors,
    active_hits = sqlc.narg(active_hits), by_day = @by_day, examples = @examples, last_error = @last_error, finished_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLShadowDone :one
-- Whether a version has a finished shadow run: publishing needs one.
SELECT EXISTS (
    SELECT 1 FROM aml_shadow_runs
    WHERE tenant_id = @tenant_id AND rule_id = @rule_id AND version = @version AND status = 'DONE'
);

-- name: AMLShadowCount :one
SELECT count(*) FROM aml_transactions WHERE tenant_id = @tenant_id AND occurred_at >= @since AND occurred_at < @until;

-- name: AMLShadowCustomers :many
SELECT DISTINCT customer_id FROM aml_transactions
WHERE tenant_id = @tenant_id AND occurred_at >= @since AND occurred_at < @until
ORDER BY customer_id;

-- name: AMLShadowCustomerTransactions :many
-- One customer's stored transactions in [since, until), oldest first and
-- ties in the order they arrived, as a shadow run replays them.
SELECT id, seq, transaction_ref, type, direction, amount, currency, channel, occurred_at, amount_units, amount_ref_units,
       counterparty_name, counterparty_country, counterparty_account, counterparty_key
FROM aml_transactions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND occurred_at >= @since AND occurred_at < @until
ORDER BY occurred_at, seq;

-- ------------------------------------------------------------------- alerts

-- name: AMLAlerts :many
SELECT a.*, c.first_name, c.last_name
FROM aml_alerts a JOIN customers c ON c.id = a.customer_id
WHERE a.tenant_id = @tenant_id
  AND a.status = ANY(@statuses::text[])
  AND (@severity::text = '' OR a.severity = @severity)
  AND (sqlc.narg(customer_id)::uuid IS NULL OR a.customer_id = sqlc.narg(customer_id))
  AND (@assignee::text = '' OR (@assignee = 'none' AND a.assignee_id IS NULL) OR a.assignee_id::text = @assignee)
ORDER BY (a.severity = 'HIGH') DESC, a.created_at
LIMIT @max_rows OFFSET @skip;

-- name: AMLAlertCount :one
SELECT count(*) FROM aml_alerts a
WHERE a.tenant_id = @tenant_id
  AND a.status = ANY(@statuses::text[])
  AND (@severity::text = '' OR a.severity = @severity)
  AND (sqlc.narg(customer_id)::uuid IS NULL OR a.customer_id = sqlc.narg(customer_id))
  AND (@assignee::text = '' OR (@assignee = 'none' AND a.assignee_id IS NULL) OR a.assignee_id::text = @assignee);

-- name: AMLAlertGroups :many
-- Alerts grouped per customer: how many, how severe, since when.
SELECT a.customer_id, c.first_name, c.last_name, count(*) AS alerts,
       bool_or(a.severity = 'HIGH') AS any_high, min(a.created_at)::timestamptz AS oldest,
       max(a.created_at)::timestamptz AS newest, count(*) FILTER (WHERE a.assignee_id IS NULL) AS unassigned
FROM aml_alerts a JOIN customers c ON c.id = a.customer_id
WHERE a.tenant_id = @tenant_id
  AND a.status = ANY(@statuses::text[])
  AND (@severity::text = '' OR a.severity = @severity)
  AND (@assignee::text = '' OR (@assignee = 'none' AND a.assignee_id IS NULL) OR a.assignee_id::text = @assignee)
GROUP BY a.customer_id, c.first_name, c.last_name
ORDER BY bool_or(a.severity = 'HIGH') DESC, min(a.created_at)
LIMIT @max_rows;

-- name: AMLAlert :one
SELECT a.*, c.first_name, c.last_name, c.risk_level, c.status AS customer_status,
       t.transaction_ref, t.type, t.direction, t.channel, t.occurred_at, t.counterparty_name, t.counterparty_country,
       t.counterparty_account, t.triggered, t.notes
FROM aml_alerts a
JOIN customers c ON c.id = a.customer_id
JOIN aml_transactions t ON t.id = a.transaction_id
WHERE a.tenant_id = @tenant_id AND a.id = @id;

-- name: AMLAlertForUpdate :one
SELECT * FROM aml_alerts WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: AMLUpdateAlert :one
UPDATE aml_alerts
SET status = @status, assignee_id = sqlc.narg(assignee_id), assignee_name = sqlc.narg(assignee_name),
    assigned_at = sqlc.narg(assigned_at), resolution = @resolution, sar_narrative = @sar_narrative,
    close_reason_code = @close_reason_code, closed_at = sqlc.narg(closed_at), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: AMLInsertAlertComment :one
INSERT INTO aml_alert_comments (id, tenant_id, alert_id, author_id, author_name, body)
VALUES (@id, @tenant_id, @alert_id, @author_id, @author_name, @body)
RETURNING *;

-- name: AMLAlertComments :many
SELECT * FROM aml_alert_comments WHERE tenant_id = @tenant_id AND alert_id = @alert_id ORDER BY created_at;

-- name: AMLAlertsPerDay :many
-- Alerts raised per day in a time zone, by severity.
SELECT (created_at AT TIME ZONE @time_zone::text)::date AS day, severity, count(*) AS n
FROM aml_alerts
WHERE tenant_id = @tenant_id AND created_at >= @since
GROUP BY 1, 2;

-- name: AMLAlertQueue :one
SELECT count(*) AS open, min(created_at) AS oldest
FROM aml_alerts WHERE tenant_id = @tenant_id AND status IN ('OPEN', 'ESCALATED');

-- name: AMLCustomerAlerts :many
SELECT id, status, severity, created_at FROM aml_alerts
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND id <> @exclude
ORDER BY created_at DESC LIMIT 20;

-- -------------------------------------------------------------------- lists

-- name: AMLLists :many
SELECT l.*, (SELECT count(*) FROM aml_list_entries e WHERE e.list_id = l.id) AS entries
FROM aml_lists l WHERE l.tenant_id = @tenant_id ORDER BY lower(l.name);

-- name: AMLList :one
SELECT * FROM aml_lists WHERE tenant_id = @tenant_id AND id = @id;

-- name: AMLInsertList :one
INSERT INTO aml_lists (id, tenant_id, name, description) VALUES (@id, @tenant_id, @name, @description)
RETURNING *;

-- name: AMLListEntries :many
SELECT * FROM aml_list_entries WHERE tenant_id = @tenant_id AND list_id = @list_id ORDER BY created_at DESC LIMIT @max_rows;

-- name: AMLInsertListEntry :one
INSERT INTO aml_list_entries (id, tenant_id, list_id, kind, value, normalized, note, added_by)
VALUES (@id, @tenant_id, @list_id, @kind, @value, @normalized, @note, @added_by)
RETURNING *;

-- name: AMLDeleteListEntry :one
DELETE FROM aml_list_entries WHERE tenant_id = @tenant_id AND list_id = @list_id AND id = @id
RETURNING *;

-- -------------------------------------------------------------------- rates

-- name: AMLUpsertRate :one
INSERT INTO aml_fx_rates (tenant_id, currency, eur_per_unit, updated_by)
VALUES (@tenant_id, @currency, @eur_per_unit, @updated_by)
ON CONFLICT (tenant_id, currency) DO UPDATE SET eur_per_unit = excluded.eur_per_unit, updated_by = excluded.updated_by, updated_at = now()
RETURNING *;

-- name: AMLDeleteRate :execrows
DELETE FROM aml_fx_rates WHERE tenant_id = @tenant_id AND currency = @currency;

-- name: AMLRuleRequests :many
-- The change requests made on a rule, newest first.
SELECT id, kind, status, (payload ->> 'version')::int AS version, maker_name, checker_name, created_at, decided_at
FROM change_requests
WHERE tenant_id = @tenant_id AND target_type = 'aml_rule' AND target_id = @rule_id::text
ORDER BY created_at DESC;

-- ------------------------------------------------------------ alert history

-- name: AMLInsertAlertEvent :exec
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, actor_id, actor_name, body, reason_code, reason_label)
VALUES (@id, @tenant_id, @alert_id, @kind, @actor_id, @actor_name, @body, @reason_code, @reason_label);

-- name: AMLAlertEvents :many
SELECT * FROM aml_alert_events WHERE tenant_id = @tenant_id AND alert_id = @alert_id ORDER BY created_at, seq;

-- name: AMLAlertCase :one
-- The case an alert belongs to, if any.
SELECT c.id, c.number, c.status FROM case_alerts ca JOIN cases c ON c.id = ca.case_id
WHERE ca.tenant_id = @tenant_id AND ca.alert_id = @alert_id;

-- name: AMLJoinOpenCase :many
-- A new alert joins its customer's latest open case, if there is one, with
-- an event in the case's history.
WITH c AS (
    SELECT k.id FROM cases k WHERE k.tenant_id = @tenant_id AND k.customer_id = @customer_id AND k.status <> 'CLOSED'
    ORDER BY k.created_at DESC LIMIT 1
), j AS (
    INSERT INTO case_alerts (alert_id, case_id, tenant_id) SELECT @alert_id, c.id, @tenant_id FROM c RETURNING case_id
), e AS (
    INSERT INTO case_events (id, tenant_id, case_id, kind, actor_name, alert_id)
    SELECT @event_id, @tenant_id, j.case_id, 'ALERT_ADDED', 'automatically, when raised', @alert_id FROM j
)
SELECT case_id FROM j;

-- ---------------------------------------------------------- closing reasons

-- name: ClosingReasons :many
SELECT * FROM closing_reasons WHERE tenant_id = @tenant_id ORDER BY position, lower(label);

-- name: UpsertClosingReason :one
INSERT INTO closing_reasons (tenant_id, code, label, sar, active, position)
VALUES (@tenant_id, @code, @label, @sar, @active, @position)
ON CONFLICT (tenant_id, code) DO UPDATE SET label = excluded.label, sar = excluded.sar, active = excluded.active,
    position = excluded.position, updated_at = now()
RETURNING *;
