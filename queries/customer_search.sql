-- The portal's customer search and the 360 page's reads.
--
-- Listing (no search text) and searching are separate queries: a search
-- first collects the matching ids (by id, by text through
-- customer_search_matches, by IBAN) and the planner joins them to the
-- customers, which an OR with "everything" would prevent. Each optional
-- part is switched by a boolean, so that with plan_cache_mode =
-- force_custom_plan (CustomerSearchPlans) the planner folds the unused
-- parts away. Text goes through customer_search_ids and
-- customer_search_walk because the indexes cannot serve a LIKE under
-- row-level security (migrations 00005 and 00042); filters and both sort
-- orders use plain indexes.
--
-- A hidden customer (MAKE-IT-GO-AWAY) is in no list and no search, except
-- a search by their whole id: the record stays reachable by direct id.

-- name: CustomerSearchPlans :exec
SELECT set_config('plan_cache_mode', 'force_custom_plan', true);

-- name: ListCustomersNewest :many
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND NOT c.is_hidden
  AND (NOT @paged::boolean
       OR (c.created_at, c.id) < (SELECT a.created_at, a.id FROM customers a WHERE a.tenant_id = @tenant_id AND a.id = @after::uuid))
ORDER BY c.created_at DESC, c.id DESC
LIMIT @max_rows;

-- name: ListCustomersByName :many
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND NOT c.is_hidden
  AND (NOT @paged::boolean
       OR (lower(c.last_name), lower(c.first_name), c.id) >
          (SELECT lower(a.last_name), lower(a.first_name), a.id FROM customers a WHERE a.tenant_id = @tenant_id AND a.id = @after::uuid))
ORDER BY lower(c.last_name), lower(c.first_name), c.id
LIMIT @max_rows;

-- name: CountCustomers :one
SELECT count(*) FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text);

-- name: SearchCustomersNewest :many
-- The matches are ids, all of them as CustomerMatchIDs found them, or,
-- when walk (more than its cap), the newest customers whose key is like
-- the pattern, read in order until the page is full (a word many
-- customers share).
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND (NOT c.is_hidden OR (@by_id::boolean AND c.id = @id::uuid))
  AND c.id IN (
        SELECT @id::uuid WHERE @by_id::boolean
        UNION ALL
        SELECT unnest(@ids::uuid[]) WHERE NOT @walk::boolean
        UNION ALL
        SELECT w.w FROM customer_search_walk(@pattern::text, @status::text, @risk_level::text, @permission::text, 'created',
                                             CASE WHEN @paged::boolean THEN @after::uuid END, @max_rows::int) AS w(w)
        WHERE @by_text::boolean AND @walk::boolean
        UNION ALL
        SELECT w.customer_id FROM wallets w WHERE @by_iban::boolean AND w.tenant_id = @tenant_id AND w.iban = @iban::text)
  AND (NOT @paged::boolean
       OR (c.created_at, c.id) < (SELECT a.created_at, a.id FROM customers a WHERE a.tenant_id = @tenant_id AND a.id = @after::uuid))
ORDER BY c.created_at DESC, c.id DESC
LIMIT @max_rows;

-- name: SearchCustomersByName :many
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND (NOT c.is_hidden OR (@by_id::boolean AND c.id = @id::uuid))
  AND c.id IN (
        SELECT @id::uuid WHERE @by_id::boolean
        UNION ALL
        SELECT unnest(@ids::uuid[]) WHERE NOT @walk::boolean
        UNION ALL
        SELECT w.w FROM customer_search_walk(@pattern::text, @status::text, @risk_level::text, @permission::text, 'name',
                                             CASE WHEN @paged::boolean THEN @after::uuid END, @max_rows::int) AS w(w)
        WHERE @by_text::boolean AND @walk::boolean
        UNION ALL
        SELECT w.customer_id FROM wallets w WHERE @by_iban::boolean AND w.tenant_id = @tenant_id AND w.iban = @iban::text)
  AND (NOT @paged::boolean
       OR (lower(c.last_name), lower(c.first_name), c.id) >
          (SELECT lower(a.last_name), lower(a.first_name), a.id FROM customers a WHERE a.tenant_id = @tenant_id AND a.id = @after::uuid))
ORDER BY lower(c.last_name), lower(c.first_name), c.id
LIMIT @max_rows;

-- name: CustomerMatchIDs :many
-- The matches' ids, at most max_ids of them by text (internal/customer/
-- search.go counts them, and says "500+" past its cap); the page is then
-- read by these ids, without searching the text again.
SELECT c.id FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND (NOT c.is_hidden OR (@by_id::boolean AND c.id = @id::uuid))
  AND c.id IN (
        SELECT @id::uuid WHERE @by_id::boolean
        UNION ALL
        SELECT m.m FROM customer_search_ids(@pattern::text, @status::text, @risk_level::text, @permission::text, @max_ids::int) AS m(m)
        WHERE @by_text::boolean
        UNION ALL
        SELECT w.customer_id FROM wallets w WHERE @by_iban::boolean AND w.tenant_id = @tenant_id AND w.iban = @iban::text);

-- name: CustomerSessionList :many
SELECT id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, ip, user_agent
FROM customer_sessions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id
ORDER BY created_at DESC
LIMIT @max_rows;

-- name: CountCustomerSessions :one
SELECT count(*) FROM customer_sessions WHERE tenant_id = @tenant_id AND customer_id = @customer_id;

-- name: CustomerTextHits :many
-- The matches of a text search, at most max_ids of them (the count's
-- cap), each with its sign-up time: the count and the newest page's ids
-- both come from this one read.
SELECT h.id::uuid AS id, h.created_at::timestamptz AS created_at
FROM customer_search_hits(@pattern::text, @status::text, @risk_level::text, @permission::text, @max_ids::int) AS h(id, created_at);

-- name: CustomersByIDsNewest :many
-- A page of customers by their ids (CustomerTextHits' newest page),
-- newest first; the columns are SearchCustomersNewest's.
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id AND c.id = ANY(@ids::uuid[]) AND NOT c.is_hidden
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
ORDER BY c.created_at DESC, c.id DESC;
