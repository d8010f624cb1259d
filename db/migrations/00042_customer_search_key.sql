-- +goose Up

-- Customer search at a million customers. A common last name matches one
-- customer in ninety; counting all of them and sorting them for the newest
-- fifty read some 11,000 rows, each from the table. Now:
--
-- * the search key is a stored column, so that a row's key is read, not
--   computed again from eight columns for each row checked;
-- * an index in sign-up order carries the key, so that the newest matches
--   of a common word are found by reading that index alone, in order, until
--   a page is full (customer_search_walk);
-- * the count stops at a cap (customer_search_ids with a limit): past it
--   the page can say "500+" (internal/customer/search.go, CountCap).
--
-- Adding the column rewrites the table once (about a minute and a half at
-- a million customers on a busy two-core machine).
ALTER TABLE customers ADD COLUMN search_key text NOT NULL GENERATED ALWAYS AS (
    lower(first_name || ' ' || middle_name || ' ' || last_name || ' ' || first_name || ' ' || email || ' '
          || phone_number || ' ' || alternate_phone_number || ' ' || id::text)
) STORED;

DROP INDEX customers_search_trgm;
CREATE INDEX customers_search_trgm ON customers USING gin (search_key gin_trgm_ops);
CREATE INDEX customers_search_newest ON customers (tenant_id, created_at DESC, id DESC) INCLUDE (search_key, is_hidden);

-- As before, but from the column.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION customer_search_matches(p_pattern text) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public ROWS 100 AS $$
BEGIN
    IF current_tenant() IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE 'SELECT id FROM customers WHERE tenant_id = $1 AND search_key LIKE $2'
        USING current_tenant(), p_pattern;
END
$$;
-- +goose StatementEnd

-- customer_search_ids returns at most p_limit ids of the current tenant's
-- visible customers whose key is like p_pattern, under the filters ('' for
-- none), in no order: through the trigram index, reading only as many rows
-- as it returns. Row-level security is applied as in customer_search_matches.
-- +goose StatementBegin
CREATE FUNCTION customer_search_ids(p_pattern text, p_status text, p_risk text, p_permission text, p_limit int)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public ROWS 1000 AS $$
BEGIN
    IF current_tenant() IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT id FROM customers WHERE tenant_id = $1 AND search_key LIKE $2 AND NOT is_hidden'
        ' AND ($3 = '''' OR status = $3) AND ($4 = '''' OR risk_level = $4) AND ($5 = '''' OR permission = $5) LIMIT $6'
        USING current_tenant(), p_pattern, p_status, p_risk, p_permission, p_limit;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION customer_search_ids(text, text, text, text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customer_search_ids(text, text, text, text, int) TO ciam_app;

-- customer_search_walk returns the ids of the first p_limit matches in the
-- page's order (p_sort 'created': newest first; 'name': by last name,
-- first name and id), after the customer p_after when it is not NULL. It
-- reads the customers in that order through an index and stops when the
-- page is full: quick for a word many customers share, slow for a rare
-- one, which is why internal/customer/search.go uses it only when the
-- count reached its cap. The planner is told to keep to the index: it
-- cannot know how many rows the pattern matches.
-- +goose StatementBegin
CREATE FUNCTION customer_search_walk(p_pattern text, p_status text, p_risk text, p_permission text,
                                     p_sort text, p_after uuid, p_limit int)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public SET enable_seqscan = off SET enable_bitmapscan = off
ROWS 50 AS $$
DECLARE
    q text := 'SELECT c.id FROM customers c WHERE c.tenant_id = $1 AND c.search_key LIKE $2 AND NOT c.is_hidden'
              ' AND ($3 = '''' OR c.status = $3) AND ($4 = '''' OR c.risk_level = $4) AND ($5 = '''' OR c.permission = $5)';
BEGIN
    IF current_tenant() IS NULL THEN
        RETURN;
    END IF;
    -- Planned for each call, with the cursor's condition only when there
    -- is a cursor: the index is entered where the page starts.
    IF p_sort = 'name' THEN
        IF p_after IS NOT NULL THEN
            q := q || ' AND (lower(c.last_name), lower(c.first_name), c.id) > (SELECT lower(a.last_name), lower(a.first_name), a.id'
                      ' FROM customers a WHERE a.tenant_id = $1 AND a.id = $6)';
        END IF;
        q := q || ' ORDER BY lower(c.last_name), lower(c.first_name), c.id LIMIT $7';
    ELSE
        IF p_after IS NOT NULL THEN
            q := q || ' AND (c.created_at, c.id) < (SELECT a.created_at, a.id FROM customers a WHERE a.tenant_id = $1 AND a.id = $6)';
        END IF;
        q := q || ' ORDER BY c.created_at DESC, c.id DESC LIMIT $7';
    END IF;
    RETURN QUERY EXECUTE q USING current_tenant(), p_pattern, p_status, p_risk, p_permission, p_after, p_limit;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION customer_search_walk(text, text, text, text, text, uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customer_search_walk(text, text, text, text, text, uuid, int) TO ciam_app;

-- +goose Down
-- Forward-only.
