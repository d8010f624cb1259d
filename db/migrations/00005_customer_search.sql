-- +goose Up

-- Customer search in the portal. Names, e-mail addresses, phone numbers and
-- id prefixes are matched as substrings through one trigram index over a
-- search key; internal/customer/search.go builds the pattern. The key
-- repeats the first name after the last so that both "Ana Lopez" and
-- "Lopez Ana" match in the order typed.
--
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so
-- the role that runs migrations needs no more than CREATE on the database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX customers_search_trgm ON customers USING gin ((
    lower(first_name || ' ' || middle_name || ' ' || last_name || ' ' || first_name || ' ' || email || ' '
          || phone_number || ' ' || alternate_phone_number || ' ' || id::text)
) gin_trgm_ops);

-- Row-level security lets the planner use an index condition only when its
-- operator is leakproof, and LIKE is not: under the application role the
-- trigram index would never be used. This function runs as the tables'
-- owner, which row-level security does not restrict, and applies the
-- tenant condition itself. It returns only ids; the query that reads the
-- customers still runs under row-level security.
-- +goose StatementBegin
CREATE FUNCTION customer_search_matches(p_pattern text) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public ROWS 100 AS $$
BEGIN
    IF current_tenant() IS NULL THEN
        RETURN;
    END IF;
    -- Planned for each pattern: one that yields no trigram is better read
    -- from the tenant's rows than from the index.
    RETURN QUERY EXECUTE
        'SELECT id FROM customers WHERE tenant_id = $1 AND lower(first_name || '' '' || middle_name || '' '' || last_name || '' '' || '
        'first_name || '' '' || email || '' '' || phone_number || '' '' || alternate_phone_number || '' '' || id::text) LIKE $2'
        USING current_tenant(), p_pattern;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION customer_search_matches(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customer_search_matches(text) TO ciam_app;

-- Sorting by name pages by (last name, first name, id).
DROP INDEX customers_tenant_name;
CREATE INDEX customers_tenant_name ON customers (tenant_id, lower(last_name), lower(first_name), id);

-- Filters: status, risk and permission within a tenant, newest first.
CREATE INDEX customers_tenant_status_created ON customers (tenant_id, status, created_at DESC, id);
CREATE INDEX customers_tenant_risk_created ON customers (tenant_id, risk_level, created_at DESC, id);

-- +goose Down
-- Forward-only.
