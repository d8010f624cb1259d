-- +goose Up

-- Customer search in the portal. Names, e-mail addresses, phone numbers and
-- id prefixes are matched as substrings through one trigram index over a
-- search key; web/customers and internal/customer/search.go build the
-- pattern. The key repeats the first name after the last so that both
-- "Ana Lopez" and "Lopez Ana" match in the order typed.
--
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so
-- the role that runs migrations needs no more than CREATE on the database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX customers_search_trgm ON customers USING gin ((
    lower(first_name || ' ' || middle_name || ' ' || last_name || ' ' || first_name || ' ' || email || ' '
          || phone_number || ' ' || alternate_phone_number || ' ' || id::text)
) gin_trgm_ops);

-- Sorting by name pages by (last name, first name, id).
DROP INDEX customers_tenant_name;
CREATE INDEX customers_tenant_name ON customers (tenant_id, lower(last_name), lower(first_name), id);

-- Filters: status, risk and permission within a tenant, newest first.
CREATE INDEX customers_tenant_status_created ON customers (tenant_id, status, created_at DESC, id);
CREATE INDEX customers_tenant_risk_created ON customers (tenant_id, risk_level, created_at DESC, id);

-- +goose Down
-- Forward-only.
