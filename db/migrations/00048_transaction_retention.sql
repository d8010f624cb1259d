-- +goose Up

-- The regulatory packs' "transactions" period (internal/retention): AML
-- transactions are deleted when it has passed, counted from the
-- transaction or, where the pack says so, from the customer's closing.
-- The run reads a tenant's transactions oldest first, and finds whether
-- an alert was raised on one.
CREATE INDEX aml_transactions_tenant_occurred ON aml_transactions (tenant_id, occurred_at, id);
CREATE INDEX aml_alerts_transaction ON aml_alerts (tenant_id, transaction_id);

-- aml_transaction_kept says whether a transaction stays past its period:
-- an alert was raised on it (it stays with its alert), or its customer is
-- on legal hold (an open or escalated alert, a SAR draft, an open case, a
-- compliance officer's hold; as retention.Hold). It runs as its caller,
-- under row-level security.
CREATE FUNCTION aml_transaction_kept(p_tenant uuid, p_customer uuid, p_transaction uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = p_tenant AND a.transaction_id = p_transaction)
        OR EXISTS (SELECT 1 FROM aml_alerts a WHERE a.tenant_id = p_tenant AND a.customer_id = p_customer
                   AND a.status IN ('OPEN', 'ESCALATED', 'SAR_DRAFTED'))
        OR EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = p_tenant AND k.customer_id = p_customer AND k.status IN ('OPEN', 'INVESTIGATING'))
        OR EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = p_tenant AND h.customer_id = p_customer AND h.released_at IS NULL)
$$;

-- +goose Down
-- Forward-only.
