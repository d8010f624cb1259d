-- +goose Up

-- A screened transaction's customer is one key, (tenant_id, customer_id),
-- rather than two: the database now also knows the customer belongs to the
-- transaction's tenant, and the insert checks one row instead of two. The
-- tenant's row is no longer locked by every screening (a key-share lock
-- that all of a tenant's concurrent screenings took on the same row, which
-- PostgreSQL records as a shared multixact on that row).
ALTER TABLE customers ADD CONSTRAINT customers_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE aml_transactions
    DROP CONSTRAINT aml_transactions_tenant_id_fkey,
    DROP CONSTRAINT aml_transactions_customer_id_fkey,
    ADD CONSTRAINT aml_transactions_customer_fkey FOREIGN KEY (tenant_id, customer_id)
        REFERENCES customers (tenant_id, id) NOT VALID;
ALTER TABLE aml_transactions VALIDATE CONSTRAINT aml_transactions_customer_fkey;

-- +goose Down
ALTER TABLE aml_transactions
    DROP CONSTRAINT aml_transactions_customer_fkey,
    ADD CONSTRAINT aml_transactions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    ADD CONSTRAINT aml_transactions_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE customers DROP CONSTRAINT customers_tenant_id_id_key;
