-- name: RateLimitHit :one
-- Adds hits to key's current window (0 only reads it) and returns the
-- window's count and end; see rate_limit_hit in the migrations.
SELECT r.hits::int AS hits, r.window_end::timestamptz AS window_end
FROM rate_limit_hit(@tenant_id::uuid, @key::text, @window_seconds::int, @hits::int, @now::timestamptz) r;

-- name: TenantRateLimits :one
SELECT rate_limits FROM tenant_settings WHERE tenant_id = @tenant_id;
