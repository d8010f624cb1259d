-- The portal's customer search and the 360 page's reads.
--
-- The three search queries share one WHERE clause. Each optional part is
-- switched by a boolean, so that with plan_cache_mode = force_custom_plan
-- (CustomerSearchPlans) the planner folds the unused parts away and
-- picks the index that fits: the trigram index for text, the primary key
-- for an id, wallets' IBAN index, or (tenant_id, created_at) for none.

-- name: CustomerSearchPlans :exec
SELECT set_config('plan_cache_mode', 'force_custom_plan', true);

-- name: SearchCustomersNewest :many
SELECT c.id, c.first_name, c.middle_name, c.last_name, c.email, c.nationality,
       coalesce(c.address->>'country', '')::text AS address_country,
       c.status, c.permission, c.risk_level, c.created_at
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND (NOT @search::boolean
       OR (@by_id::boolean AND c.id = @id::uuid)
       OR (@by_text::boolean AND lower(c.first_name || ' ' || c.middle_name || ' ' || c.last_name || ' ' || c.first_name || ' ' || c.email || ' '
             || c.phone_number || ' ' || c.alternate_phone_number || ' ' || c.id::text) LIKE @pattern::text)
       OR (@by_iban::boolean AND c.id IN (SELECT w.customer_id FROM wallets w WHERE w.tenant_id = @tenant_id AND w.iban = @iban::text)))
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
  AND (NOT @search::boolean
       OR (@by_id::boolean AND c.id = @id::uuid)
       OR (@by_text::boolean AND lower(c.first_name || ' ' || c.middle_name || ' ' || c.last_name || ' ' || c.first_name || ' ' || c.email || ' '
             || c.phone_number || ' ' || c.alternate_phone_number || ' ' || c.id::text) LIKE @pattern::text)
       OR (@by_iban::boolean AND c.id IN (SELECT w.customer_id FROM wallets w WHERE w.tenant_id = @tenant_id AND w.iban = @iban::text)))
  AND (NOT @paged::boolean
       OR (lower(c.last_name), lower(c.first_name), c.id) >
          (SELECT lower(a.last_name), lower(a.first_name), a.id FROM customers a WHERE a.tenant_id = @tenant_id AND a.id = @after::uuid))
ORDER BY lower(c.last_name), lower(c.first_name), c.id
LIMIT @max_rows;

-- name: CountCustomers :one
SELECT count(*)
FROM customers c
WHERE c.tenant_id = @tenant_id
  AND (@status::text = '' OR c.status = @status::text)
  AND (@risk_level::text = '' OR c.risk_level = @risk_level::text)
  AND (@permission::text = '' OR c.permission = @permission::text)
  AND (NOT @search::boolean
       OR (@by_id::boolean AND c.id = @id::uuid)
       OR (@by_text::boolean AND lower(c.first_name || ' ' || c.middle_name || ' ' || c.last_name || ' ' || c.first_name || ' ' || c.email || ' '
             || c.phone_number || ' ' || c.alternate_phone_number || ' ' || c.id::text) LIKE @pattern::text)
       OR (@by_iban::boolean AND c.id IN (SELECT w.customer_id FROM wallets w WHERE w.tenant_id = @tenant_id AND w.iban = @iban::text)));

-- name: CustomerSessionList :many
SELECT id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, ip, user_agent
FROM customer_sessions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id
ORDER BY created_at DESC
LIMIT @max_rows;

-- name: CountCustomerSessions :one
SELECT count(*) FROM customer_sessions WHERE tenant_id = @tenant_id AND customer_id = @customer_id;
