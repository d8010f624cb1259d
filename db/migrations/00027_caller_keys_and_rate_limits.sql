-- +goose Up

-- An Idempotency-Key belongs to the caller that sent it (an API client or a
-- customer), so one caller can never spend or block another's key. Keys of
-- anonymous callers are not stored at all. Rows written before this carry
-- the empty caller, which no request matches any more.
ALTER TABLE idempotency_keys ADD COLUMN caller text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (tenant_id, caller, key);
ALTER TABLE idempotency_keys ALTER COLUMN caller DROP DEFAULT;

-- Rate limits: a fixed-window counter per key (such as the wrong secrets of
-- one client, or the failed sign-ins from one address), shared through the
-- database so that every server enforces one limit. tenant_id is the nil
-- UUID where no tenant is known yet (an unknown client at the token
-- endpoint). Keys hold hashes, never an e-mail address or a secret. The
-- application reaches the table only through rate_limit_hit.
CREATE TABLE rate_limit_windows (
    tenant_id    uuid NOT NULL,
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    hits         int NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (tenant_id, key, window_start)
);
CREATE INDEX rate_limit_windows_end ON rate_limit_windows (window_end);
ALTER TABLE rate_limit_windows ENABLE ROW LEVEL SECURITY;

-- rate_limit_hit adds p_hits to key's window of p_window_seconds holding
-- p_now and returns the window's count and end; p_hits 0 only reads it.
-- Now and then it removes windows that ended a day ago.
-- +goose StatementBegin
CREATE FUNCTION rate_limit_hit(p_tenant uuid, p_key text, p_window_seconds int, p_hits int, p_now timestamptz)
RETURNS TABLE (hits int, window_end timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
    v_start timestamptz := to_timestamp(floor(extract(epoch FROM p_now) / p_window_seconds) * p_window_seconds);
    v_end   timestamptz := v_start + make_interval(secs => p_window_seconds);
BEGIN
    IF p_window_seconds < 1 OR p_hits < 0 THEN
        RAISE EXCEPTION 'rate_limit_hit: bad window or hits';
    END IF;
    IF p_hits = 0 THEN
        RETURN QUERY SELECT w.hits, w.window_end FROM rate_limit_windows w
            WHERE w.tenant_id = p_tenant AND w.key = p_key AND w.window_start = v_start;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 0, v_end;
        END IF;
        RETURN;
    END IF;
    IF random() < 0.01 THEN
        DELETE FROM rate_limit_windows w WHERE w.window_end < p_now - interval '1 day';
    END IF;
    RETURN QUERY INSERT INTO rate_limit_windows AS w (tenant_id, key, window_start, window_end, hits)
        VALUES (p_tenant, p_key, v_start, v_end, p_hits)
        ON CONFLICT (tenant_id, key, window_start) DO UPDATE SET hits = w.hits + EXCLUDED.hits
        RETURNING w.hits, w.window_end;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION rate_limit_hit(uuid, text, int, int, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rate_limit_hit(uuid, text, int, int, timestamptz) TO ciam_app;

-- The tenant's rate limits, edited on the preferences page; keys left out
-- take the defaults of ratelimit.Defaults.
ALTER TABLE tenant_settings ADD COLUMN rate_limits jsonb NOT NULL DEFAULT '{}'::jsonb;

-- +goose Down
-- Forward-only.
