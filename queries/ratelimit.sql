-- name: RateLimitHit :one
-- Adds hits to key's current window (0 only reads it) and returns the
-- window's count and end; see rate_limit_hit in the migrations.
SELECT r.hits::int AS hits, r.window_end::timestamptz AS window_end
FROM rate_limit_hit(@tenant_id::uuid, @key::text, @window_seconds::int, @hits::int, @now::timestamptz) r;

-- name: TenantRateLimits :one
SELECT rate_limits FROM tenant_settings WHERE tenant_id = @tenant_id;

-- name: RateLimitHitMany :many
-- RateLimitHit for several keys of one tenant in one statement, in the
-- order given.
SELECT k.ord::int AS ord, r.hits::int AS hits, r.window_end::timestamptz AS window_end
FROM unnest(@keys::text[]) WITH ORDINALITY AS k(key, ord)
CROSS JOIN LATERAL rate_limit_hit(@tenant_id::uuid, k.key, (@window_seconds::int[])[k.ord], @hits::int, @now::timestamptz) r
ORDER BY k.ord;
