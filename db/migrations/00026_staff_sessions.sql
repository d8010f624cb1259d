-- +goose Up

-- A portal session, server-side: the session cookie carries its id, and
-- every request checks the row is still live, so that signing out, an
-- administrator's revocation, a deactivation or a role removal ends the
-- session for every copy of the cookie at once. The idle and absolute
-- time-outs stay in the cookie; last_seen_at is written at most once a
-- minute.
CREATE TABLE staff_sessions (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    staff_id       uuid NOT NULL REFERENCES staff(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    ip             text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT '',
    revoked_at     timestamptz,
    -- The employee who ended it (themselves at sign-out, an administrator);
    -- NULL when the system did (a deactivation applied by a command).
    revoked_by     uuid REFERENCES staff(id),
    revoked_reason text,
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX staff_sessions_live ON staff_sessions (tenant_id, staff_id) WHERE revoked_at IS NULL;

ALTER TABLE staff_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_sessions USING (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON staff_sessions TO ciam_app;

-- +goose Down
-- Forward-only.
