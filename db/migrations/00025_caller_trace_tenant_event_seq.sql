-- +goose Up

-- The caller's own W3C traceparent, as sent, kept beside the server's trace
-- id (trace_id, which the server makes itself): a caller can no longer set
-- the trace id of an audit record, and what it sent is still there to
-- correlate with its own logs. It joins the record's hash only when set, so
-- that the hashes of the records before it still verify.
ALTER TABLE audit_log ADD COLUMN caller_traceparent text NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_record_hash(r audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(
        r.prev_hash || convert_to(concat_ws(E'\x1f',
            r.id::text, coalesce(r.tenant_id::text, ''), r.chain_id::text, r.seq::text,
            to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            r.actor_type, r.actor_id, r.actor_name, r.trace_id, r.action,
            r.entity_type, r.entity_id, r.reason_code,
            coalesce(r.before::text, 'null'), coalesce(r.after::text, 'null')
        ) || CASE WHEN r.caller_traceparent = '' THEN '' ELSE E'\x1f' || r.caller_traceparent END, 'UTF8'))
$$;
-- +goose StatementEnd

-- A tenant's events are numbered 1, 2, 3, ... in the tenant's own sequence
-- (tenant_seq), so that the cursor of GET /events counts the tenant's events
-- only; position, one sequence across all tenants, stays for the relay.
-- The number is taken from the tenant's audit chain head, under its row
-- lock, which a writer holds until it commits: a writer that comes later
-- waits, and takes the next number only once the one before it has
-- committed (or rolled back, and its number is taken again). So a reader
-- never sees number n+1 without n, and never misses an event committed
-- after it read with a lower number. Sharing the audit head's lock, rather
-- than a lock of its own, keeps audit and event writers from deadlocking
-- over the order they take them in.
ALTER TABLE audit_chain_heads ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN tenant_seq bigint;

UPDATE events e SET tenant_seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY position) AS seq FROM events) n
WHERE e.id = n.id;

INSERT INTO audit_chain_heads (chain_id, seq, hash, event_seq)
SELECT tenant_id, 0, '\x'::bytea, max(tenant_seq) FROM events GROUP BY tenant_id
ON CONFLICT (chain_id) DO UPDATE SET event_seq = EXCLUDED.event_seq;

ALTER TABLE events ALTER COLUMN tenant_seq SET NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_tenant_seq UNIQUE (tenant_id, tenant_seq);

-- +goose StatementBegin
CREATE FUNCTION events_tenant_seq() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO audit_chain_heads (chain_id, seq, hash)
        VALUES (NEW.tenant_id, 0, '\x'::bytea)
        ON CONFLICT (chain_id) DO NOTHING;
    UPDATE audit_chain_heads SET event_seq = event_seq + 1
        WHERE chain_id = NEW.tenant_id
        RETURNING event_seq INTO NEW.tenant_seq;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_tenant_seq BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_tenant_seq();

-- +goose Down
-- Forward-only.
