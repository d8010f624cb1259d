-- Fee rules ---------------------------------------------------------------

-- name: InsertFeeRule :one
INSERT INTO fee_rules (id, tenant_id, name, transaction_type, country, currency, channel, customer_category,
    fixed_amount, percentage, minimum_fee, maximum_fee, effective_from, status)
VALUES (@id, @tenant_id, @name, @transaction_type, @country, @currency, @channel, @customer_category,
    @fixed_amount, @percentage, @minimum_fee, @maximum_fee, @effective_from, @status)
RETURNING *;

-- name: UpdateFeeRule :one
UPDATE fee_rules SET name = @name, transaction_type = @transaction_type, country = @country, currency = @currency,
    channel = @channel, customer_category = @customer_category, fixed_amount = @fixed_amount, percentage = @percentage,
    minimum_fee = @minimum_fee, maximum_fee = @maximum_fee, effective_from = @effective_from, status = @status,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: FeeRuleByID :one
SELECT * FROM fee_rules WHERE tenant_id = @tenant_id AND id = @id;

-- FeeRuleSuperseded says whether a later rule with the same dimensions
-- is in effect at @at.
-- name: FeeRuleSuperseded :one
SELECT EXISTS (
    SELECT 1 FROM fee_rules o
    WHERE o.tenant_id = f.tenant_id AND o.id <> f.id AND o.status = 'ACTIVE'
      AND o.transaction_type = f.transaction_type AND o.country = f.country AND o.currency = f.currency
      AND o.channel = f.channel AND o.customer_category = f.customer_category
      AND o.effective_from <= @at::timestamptz
      AND (o.effective_from, o.created_at) > (f.effective_from, f.created_at)
)::bool AS superseded
FROM fee_rules f WHERE f.tenant_id = @tenant_id AND f.id = @id;

-- name: DeleteFeeTiers :exec
DELETE FROM fee_tiers WHERE tenant_id = @tenant_id AND rule_id = @rule_id;

-- name: InsertFeeTier :exec
INSERT INTO fee_tiers (id, tenant_id, rule_id, position, from_amount, up_to, fixed_amount, percentage)
VALUES (@id, @tenant_id, @rule_id, @position, @from_amount, @up_to, @fixed_amount, @percentage);

-- name: FeeTiersOf :many
SELECT * FROM fee_tiers WHERE tenant_id = @tenant_id AND rule_id = ANY(@rule_ids::uuid[]) ORDER BY rule_id, position;

-- FeeCandidates are the rules in effect at @at whose every dimension is
-- either "any" or the transaction's value; the caller ranks them.
-- name: FeeCandidates :many
SELECT * FROM fee_rules
WHERE tenant_id = @tenant_id AND status = 'ACTIVE' AND effective_from <= @at
  AND transaction_type IN ('', @transaction_type::text)
  AND country IN ('', @country::text)
  AND currency IN ('', @currency::text)
  AND channel IN ('', @channel::text)
  AND customer_category IN ('', @customer_category::text);

-- ListFeeRules is the portal's list. A rule's state: INACTIVE, SCHEDULED
-- (effective later), SUPERSEDED (a later rule with the same dimensions is
-- in effect) or IN_EFFECT.
-- name: ListFeeRules :many
WITH r AS (
    SELECT f.id, f.name, f.transaction_type, f.country, f.currency, f.channel, f.customer_category,
        f.fixed_amount, f.percentage, f.minimum_fee, f.maximum_fee, f.effective_from, f.status, f.created_at, f.updated_at,
        (CASE
            WHEN f.status = 'INACTIVE' THEN 'INACTIVE'
            WHEN f.effective_from > @at::timestamptz THEN 'SCHEDULED'
            WHEN EXISTS (
                SELECT 1 FROM fee_rules o
                WHERE o.tenant_id = f.tenant_id AND o.id <> f.id AND o.status = 'ACTIVE'
                  AND o.transaction_type = f.transaction_type AND o.country = f.country AND o.currency = f.currency
                  AND o.channel = f.channel AND o.customer_category = f.customer_category
                  AND o.effective_from <= @at::timestamptz
                  AND (o.effective_from, o.created_at) > (f.effective_from, f.created_at)
            ) THEN 'SUPERSEDED'
            ELSE 'IN_EFFECT'
        END)::text AS state,
        (SELECT count(*) FROM fee_tiers t WHERE t.rule_id = f.id)::int AS tier_count
    FROM fee_rules f
    WHERE f.tenant_id = @tenant_id
)
SELECT r.*, count(*) OVER ()::bigint AS total
FROM r
WHERE (@q::text = '' OR r.name ILIKE '%' || @q::text || '%' ESCAPE '\' OR r.customer_category ILIKE '%' || @q::text || '%' ESCAPE '\')
  AND (@transaction_type::text = '' OR r.transaction_type = @transaction_type::text)
  AND (@currency::text = '' OR r.currency = @currency::text)
  AND (@country::text = '' OR r.country = @country::text)
  AND (@channel::text = '' OR r.channel = @channel::text)
  AND (@state::text = '' OR r.state = @state::text)
ORDER BY
  CASE WHEN @sort::text = 'name' THEN lower(r.name) END ASC,
  CASE WHEN @sort::text = 'effective' THEN r.effective_from END DESC,
  CASE WHEN @sort::text = 'updated' THEN r.updated_at END DESC,
  r.transaction_type, r.effective_from DESC, r.created_at DESC, r.id
LIMIT @max_rows OFFSET @skip;

-- name: CustomerCategoryName :one
SELECT coalesce(cc.name, '')::text AS category
FROM customers c
LEFT JOIN customer_categories cc ON cc.id = c.category_id AND cc.tenant_id = c.tenant_id
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- Branches and pay points --------------------------------------------------

-- name: InsertBranch :one
INSERT INTO branches (id, tenant_id, code, name, type, status, street, city, region, postal_code, country,
    latitude, longitude, opening_hours, services)
VALUES (@id, @tenant_id, @code, @name, @type, @status, @street, @city, @region, @postal_code, @country,
    @latitude, @longitude, @opening_hours, @services)
RETURNING *;

-- name: UpdateBranch :one
UPDATE branches SET code = @code, name = @name, type = @type, status = @status, street = @street, city = @city,
    region = @region, postal_code = @postal_code, country = @country, latitude = @latitude, longitude = @longitude,
    opening_hours = @opening_hours, services = @services, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: BranchByID :one
SELECT * FROM branches WHERE tenant_id = @tenant_id AND id = @id;

-- name: BranchForUpdate :one
SELECT * FROM branches WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListBranches :many
SELECT b.*, count(*) OVER ()::bigint AS total
FROM branches b
WHERE b.tenant_id = @tenant_id
  AND (@q::text = '' OR b.code ILIKE '%' || @q::text || '%' ESCAPE '\' OR b.name ILIKE '%' || @q::text || '%' ESCAPE '\'
       OR b.city ILIKE '%' || @q::text || '%' ESCAPE '\' OR b.postal_code ILIKE '%' || @q::text || '%' ESCAPE '\')
  AND (@type::text = '' OR b.type = @type::text)
  AND (@status::text = '' OR b.status = @status::text)
  AND (@country::text = '' OR b.country = @country::text)
ORDER BY
  CASE WHEN @sort::text = 'name' THEN lower(b.name) END ASC,
  CASE WHEN @sort::text = 'city' THEN lower(b.city) END ASC,
  CASE WHEN @sort::text = 'updated' THEN b.updated_at END DESC,
  b.code
LIMIT @max_rows OFFSET @skip;

-- NearestBranches are the tenant's active branches with coordinates in a
-- bounding box around (@lat, @lon), within @radius_km by great-circle
-- (haversine) distance, nearest first.
-- name: NearestBranches :many
SELECT b.*, d.km::float8 AS distance_km
FROM branches b
CROSS JOIN LATERAL (
    SELECT 2 * 6371.0088 * asin(least(1, sqrt(
        power(sin(radians(b.latitude - @lat::float8) / 2), 2) +
        cos(radians(@lat::float8)) * cos(radians(b.latitude)) * power(sin(radians(b.longitude - @lon::float8) / 2), 2)
    ))) AS km
) d
WHERE b.tenant_id = @tenant_id AND b.status = 'ACTIVE' AND b.latitude IS NOT NULL
  AND b.latitude BETWEEN @min_lat::float8 AND @max_lat::float8
  AND (@any_lon::bool OR b.longitude BETWEEN @min_lon::float8 AND @max_lon::float8)
  AND (@type::text = '' OR b.type = @type::text)
  AND (@service::text = '' OR @service::text = ANY(b.services))
  AND d.km <= @radius_km::float8
ORDER BY d.km, b.code
LIMIT @max_rows;

-- Connectors ----------------------------------------------------------------

-- name: InsertConnector :one
INSERT INTO connectors (id, tenant_id, type, name, config, status)
VALUES (@id, @tenant_id, @type, @name, @config, @status)
RETURNING *;

-- name: UpdateConnectorConfig :one
UPDATE connectors SET name = @name, config = @config, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: SetConnectorStatus :one
UPDATE connectors SET status = @status, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: SetConnectorSecret :one
UPDATE connectors SET secret = @secret, secret_hint = @secret_hint, secret_set_at = @secret_set_at, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: RecordConnectorHealth :one
-- A check's result, with the connector's breaker: consecutive failures
-- and, from the threshold's failure on, until when the periodic check waits.
UPDATE connectors SET health = @health, health_checked_at = @health_checked_at, health_latency_ms = @health_latency_ms,
    health_detail = @health_detail, check_failures = @check_failures, checks_paused_until = @checks_paused_until
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: LockConnector :one
SELECT * FROM connectors WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ConnectorsDueForCheck :many
SELECT tenant_id::uuid AS tenant_id, id::uuid AS id FROM connectors_due_for_check(@now::timestamptz, @checked_before::timestamptz, @max_rows::int);

-- name: ConnectorByID :one
SELECT * FROM connectors WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConnectorForUpdate :one
SELECT * FROM connectors WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListConnectors :many
SELECT c.*, count(*) OVER ()::bigint AS total
FROM connectors c
WHERE c.tenant_id = @tenant_id
  AND (@q::text = '' OR c.name ILIKE '%' || @q::text || '%' ESCAPE '\')
  AND (@type::text = '' OR c.type = @type::text)
  AND (@status::text = '' OR c.status = @status::text)
  AND (@health::text = '' OR c.health = @health::text)
ORDER BY
  CASE WHEN @sort::text = 'type' THEN c.type END ASC,
  CASE WHEN @sort::text = 'checked' THEN c.health_checked_at END DESC NULLS LAST,
  lower(c.name), c.id
LIMIT @max_rows OFFSET @skip;
