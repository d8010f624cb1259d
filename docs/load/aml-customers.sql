-- The AML load scripts' customers and their history: :customers customers of
-- the tenant :'slug' (countries and risk levels in turn), each with 40
-- transfers over the last 30 days. Included by aml.sh and instances.sh (\i)
-- after they set the psql variables slug and customers.
SELECT id AS tenant FROM tenants WHERE slug = :'slug' \gset
INSERT INTO customers (id, tenant_id, email, first_name, last_name, date_of_birth, nationality, address, status, permission, risk_level)
SELECT gen_random_uuid(), :'tenant', 'load-' || g || '@example.com', 'Load', 'Customer ' || g, '1990-01-01',
       (ARRAY['GB','DE','FR','NG'])[1 + g % 4], jsonb_build_object('country', (ARRAY['GB','DE','FR','NG'])[1 + g % 4]),
       'ACTIVE', 'SEND-AND-RECEIVE', (ARRAY['LOW','MEDIUM','HIGH'])[1 + g % 3]
FROM generate_series(1, :customers) g;
INSERT INTO aml_transactions (id, tenant_id, customer_id, transaction_ref, request_hash, type, direction, amount, currency,
    amount_units, amount_ref_units, channel, occurred_at, counterparty_name, counterparty_country, counterparty_account,
    counterparty_key, decision, score)
SELECT gen_random_uuid(), :'tenant', c.id, 'hist-' || c.id || '-' || g, '\x00', 'TRANSFER',
       CASE WHEN g % 3 = 0 THEN 'IN' ELSE 'OUT' END, 10 + (g * 7919) % 3000, 'EUR',
       (10 + (g * 7919) % 3000) * 10000, (10 + (g * 7919) % 3000) * 10000, 'MOBILE',
       now() - make_interval(secs => g * 64800), 'Shop ' || (g % 20), 'DE', 'DE' || lpad((g % 20)::text, 20, '0'),
       'a:DE' || lpad((g % 20)::text, 20, '0'), 'ALLOW', 0
FROM customers c, generate_series(1, 40) g
WHERE c.tenant_id = :'tenant';
