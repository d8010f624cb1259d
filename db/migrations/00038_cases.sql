-- +goose Up

-- Alert history, closing reasons and cases.
--
-- An alert's history is rows, one per thing that happened to it, never a
-- field written over: an escalation's reason stays when the alert is closed
-- later with another one.
CREATE TABLE aml_alert_events (
    id           uuid PRIMARY KEY,
    seq          bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    alert_id     uuid NOT NULL REFERENCES aml_alerts(id),
    kind         text NOT NULL CHECK (kind IN ('ASSIGNED', 'UNASSIGNED', 'COMMENTED', 'ESCALATED', 'CLOSED', 'SAR_DRAFTED')),
    actor_id     text NOT NULL DEFAULT '',
    actor_name   text NOT NULL DEFAULT '',
    -- The reason given (escalation, decision), the comment or the report
    -- draft's narrative; for an assignment, the assignee's name.
    body         text NOT NULL DEFAULT '',
    -- A decision's closing reason, as the tenant named it then.
    reason_code  text NOT NULL DEFAULT '',
    reason_label text NOT NULL DEFAULT '',
    -- clock_timestamp: events of one transaction keep their order.
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX aml_alert_events_alert ON aml_alert_events (tenant_id, alert_id, created_at, seq);

-- What the old fields knew, as history rows: assignments, comments and the
-- reason last written to resolution (an escalation's when the alert is
-- still escalated, the decision's when it is closed).
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, body, created_at)
SELECT gen_random_uuid(), tenant_id, id, 'ASSIGNED', assignee_name, assigned_at
FROM aml_alerts WHERE assignee_id IS NOT NULL AND assigned_at IS NOT NULL;
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, actor_id, actor_name, body, created_at)
SELECT gen_random_uuid(), tenant_id, alert_id, 'COMMENTED', author_id, author_name, body, created_at FROM aml_alert_comments;
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, body, created_at)
SELECT gen_random_uuid(), tenant_id, id, 'ESCALATED', resolution, updated_at FROM aml_alerts WHERE status = 'ESCALATED';
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, body, reason_code, reason_label, created_at)
SELECT gen_random_uuid(), tenant_id, id, 'CLOSED', resolution, 'FALSE_POSITIVE', 'False positive', coalesce(closed_at, updated_at)
FROM aml_alerts WHERE status = 'CLOSED_FALSE_POSITIVE';
INSERT INTO aml_alert_events (id, tenant_id, alert_id, kind, body, reason_code, reason_label, created_at)
SELECT gen_random_uuid(), tenant_id, id, 'SAR_DRAFTED', sar_narrative, 'SAR_DRAFTED', 'SAR filed/draft', coalesce(closed_at, updated_at)
FROM aml_alerts WHERE status = 'SAR_DRAFTED';
-- The escalation's reason is history now; resolution holds a decision's only.
UPDATE aml_alerts SET resolution = '' WHERE status = 'ESCALATED';

-- An alert closed with one of the tenant's own reasons (other than a
-- false positive or a report draft) is CLOSED; the reason is in its history.
ALTER TABLE aml_alerts DROP CONSTRAINT aml_alerts_status_check;
ALTER TABLE aml_alerts ADD CONSTRAINT aml_alerts_status_check
    CHECK (status IN ('OPEN', 'ESCALATED', 'CLOSED_FALSE_POSITIVE', 'CLOSED', 'SAR_DRAFTED'));
ALTER TABLE aml_alerts ADD COLUMN close_reason_code text NOT NULL DEFAULT '';
UPDATE aml_alerts SET close_reason_code = 'FALSE_POSITIVE' WHERE status = 'CLOSED_FALSE_POSITIVE';
UPDATE aml_alerts SET close_reason_code = 'SAR_DRAFTED' WHERE status = 'SAR_DRAFTED';

-- A tenant's closing reasons for alerts and cases. A tenant without any
-- row uses the built-in defaults; the first change stores them.
-- sar marks the reasons that mean a suspicious-activity report.
CREATE TABLE closing_reasons (
    tenant_id  uuid NOT NULL REFERENCES tenants(id),
    code       text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    sar        boolean NOT NULL DEFAULT false,
    active     boolean NOT NULL DEFAULT true,
    position   int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code)
);
CREATE UNIQUE INDEX closing_reasons_label ON closing_reasons (tenant_id, lower(label));

-- A case: one customer's alerts and screening hits, investigated together
-- by an owner.
CREATE TABLE cases (
    id                 uuid PRIMARY KEY,
    number             bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    tenant_id          uuid NOT NULL REFERENCES tenants(id),
    customer_id        uuid NOT NULL,
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    status             text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'INVESTIGATING', 'CLOSED')),
    owner_id           uuid,
    owner_name         text,
    close_reason_code  text NOT NULL DEFAULT '',
    close_reason_label text NOT NULL DEFAULT '',
    created_by         text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX cases_list ON cases (tenant_id, status, created_at DESC);
CREATE INDEX cases_customer ON cases (tenant_id, customer_id, created_at DESC);

-- An alert or a hit belongs to one case at most.
CREATE TABLE case_alerts (
    alert_id  uuid PRIMARY KEY REFERENCES aml_alerts(id),
    case_id   uuid NOT NULL REFERENCES cases(id),
    tenant_id uuid NOT NULL REFERENCES tenants(id),
    added_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_alerts_case ON case_alerts (tenant_id, case_id);

CREATE TABLE case_hits (
    hit_id    uuid PRIMARY KEY REFERENCES screening_hits(id),
    case_id   uuid NOT NULL REFERENCES cases(id),
    tenant_id uuid NOT NULL REFERENCES tenants(id),
    added_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_hits_case ON case_hits (tenant_id, case_id);

-- Files added to a case, sealed like documents: metadata here, content in
-- sealed chunks below.
CREATE TABLE case_attachments (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    case_id     uuid NOT NULL REFERENCES cases(id),
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    mime        text NOT NULL,
    size_bytes  bigint NOT NULL,
    sha256      bytea NOT NULL,
    key_id      text NOT NULL,
    uploaded_by text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_attachments_case ON case_attachments (tenant_id, case_id, created_at);

CREATE TABLE case_attachment_chunks (
    attachment_id uuid NOT NULL REFERENCES case_attachments(id),
    seq           int NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    content       bytea NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);

-- A case's own history: created, alerts and hits added, owner, status,
-- comments, attachments and the closing decision. The history of its
-- alerts is read from aml_alert_events beside it.
CREATE TABLE case_events (
    id            uuid PRIMARY KEY,
    seq           bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    case_id       uuid NOT NULL REFERENCES cases(id),
    kind          text NOT NULL CHECK (kind IN ('CREATED', 'ALERT_ADDED', 'HIT_ADDED', 'ASSIGNED', 'UNASSIGNED', 'STATUS_CHANGED',
                                              'COMMENTED', 'ATTACHMENT_ADDED', 'CLOSED')),
    actor_id      text NOT NULL DEFAULT '',
    actor_name    text NOT NULL DEFAULT '',
    body          text NOT NULL DEFAULT '',
    reason_code   text NOT NULL DEFAULT '',
    reason_label  text NOT NULL DEFAULT '',
    alert_id      uuid,
    hit_id        uuid,
    attachment_id uuid,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_events_case ON case_events (tenant_id, case_id, created_at, seq);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['aml_alert_events', 'closing_reasons', 'cases', 'case_alerts', 'case_hits', 'case_attachments',
        'case_attachment_chunks', 'case_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ciam_app', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Forward-only.
