-- +goose Up

-- The customer search counted its matches (customer_search_ids, up to a
-- cap), read each matching row a second time to apply row-level security,
-- and read every match a third time to order the page. Now one read of
-- the matching rows answers the count and the page's order: the function
-- returns each match's sign-up time with its id, and the page is read by
-- the fifty ids it names (internal/customer/search.go).

-- customer_search_hits returns at most p_limit of the current tenant's
-- visible customers whose key is like p_pattern, under the filters ('' for
-- none), each with its sign-up time, in no order, through the trigram
-- index. Like customer_search_ids it reads only the current tenant's rows
-- (current_tenant(), as row-level security would).
-- +goose StatementBegin
CREATE FUNCTION customer_search_hits(p_pattern text, p_status text, p_risk text, p_permission text, p_limit int)
RETURNS TABLE (id uuid, created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public ROWS 1000 AS $$
BEGIN
    IF current_tenant() IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT c.id, c.created_at FROM customers c WHERE c.tenant_id = $1 AND c.search_key LIKE $2 AND NOT c.is_hidden'
        ' AND ($3 = '''' OR c.status = $3) AND ($4 = '''' OR c.risk_level = $4) AND ($5 = '''' OR c.permission = $5) LIMIT $6'
        USING current_tenant(), p_pattern, p_status, p_risk, p_permission, p_limit;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION customer_search_hits(text, text, text, text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION customer_search_hits(text, text, text, text, int) TO ciam_app;

-- +goose Down
-- Forward-only.
