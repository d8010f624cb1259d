-- Customers as screening subjects.

-- name: ScreenableCustomers :many
-- A page of a tenant's customers to re-screen: every customer not closed
-- (one in onboarding is screened too), by id after after_id.
SELECT id, first_name, middle_name, last_name, date_of_birth, nationality
FROM customers
WHERE tenant_id = @tenant_id AND status <> 'CLOSED' AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: ActiveTenantIDs :many
SELECT id FROM tenants WHERE status = 'ACTIVE' ORDER BY id;

-- name: MonitoredCustomers :many
-- A page of a tenant's categorised customers (every customer with
-- everyone: a regulatory pack sets re-screening by risk level), for the
-- monitoring the categorisation or the pack asks for, by id after after_id.
SELECT id, first_name, middle_name, last_name, date_of_birth, nationality, categorization, monitored_at, risk_level,
       coalesce(address->>'country', '')::text AS country
FROM customers
WHERE tenant_id = @tenant_id AND status <> 'CLOSED' AND (categorization IS NOT NULL OR @everyone::bool) AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: MarkMonitored :exec
UPDATE customers SET monitored_at = @at WHERE tenant_id = @tenant_id AND id = @id;
