-- name: StaffForIdentity :one
SELECT staff_id::uuid AS staff_id, tenant_id::uuid AS tenant_id, linked::boolean AS linked
FROM staff_for_identity(@issuer::text, @subject::text, @email::text);

-- name: CreateStaff :one
INSERT INTO staff (id, tenant_id, email, display_name)
VALUES (@id, @tenant_id, @email, @display_name)
RETURNING *;

-- name: StaffByID :one
SELECT * FROM staff WHERE tenant_id = @tenant_id AND id = @id;

-- name: StaffByEmail :one
SELECT * FROM staff WHERE tenant_id = @tenant_id AND lower(email) = lower(@email);

-- name: ListStaff :many
SELECT s.*, coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}')::text[] AS roles
FROM staff s
LEFT JOIN staff_roles r ON r.staff_id = s.id AND r.tenant_id = s.tenant_id
WHERE s.tenant_id = @tenant_id
GROUP BY s.id
ORDER BY lower(s.display_name), s.id;

-- name: CountStaff :one
SELECT count(*) FROM staff WHERE tenant_id = @tenant_id;

-- name: LinkStaffIdentity :exec
INSERT INTO staff_identities (tenant_id, staff_id, issuer, subject)
VALUES (@tenant_id, @staff_id, @issuer, @subject);

-- name: TouchStaffLogin :exec
UPDATE staff SET last_login_at = now() WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetStaffStatus :one
UPDATE staff SET status = @status, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: StaffRoles :many
SELECT role FROM staff_roles WHERE tenant_id = @tenant_id AND staff_id = @staff_id ORDER BY role;

-- name: GrantStaffRole :execrows
INSERT INTO staff_roles (tenant_id, staff_id, role, granted_by)
VALUES (@tenant_id, @staff_id, @role, @granted_by)
ON CONFLICT (staff_id, role) DO NOTHING;

-- name: RevokeStaffRole :execrows
DELETE FROM staff_roles WHERE tenant_id = @tenant_id AND staff_id = @staff_id AND role = @role;

-- Portal sessions (staff_sessions): the cookie carries the id.

-- name: CreateStaffSession :exec
INSERT INTO staff_sessions (id, tenant_id, staff_id, created_at, last_seen_at, ip, user_agent)
VALUES (@id, @tenant_id, @staff_id, @now::timestamptz, @now::timestamptz, @ip, @user_agent);

-- name: StaffSessionEmployee :one
-- One indexed look-up per portal request: the session, its employee and
-- the employee's roles.
SELECT ss.revoked_at, ss.last_seen_at, sqlc.embed(s),
       coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM staff_roles r
                 WHERE r.tenant_id = ss.tenant_id AND r.staff_id = ss.staff_id), '{}')::text[] AS roles
FROM staff_sessions ss
JOIN staff s ON s.tenant_id = ss.tenant_id AND s.id = ss.staff_id
WHERE ss.tenant_id = @tenant_id AND ss.id = @id AND ss.staff_id = @staff_id;

-- name: TouchStaffSession :exec
UPDATE staff_sessions SET last_seen_at = @now::timestamptz
WHERE tenant_id = @tenant_id AND id = @id AND revoked_at IS NULL;

-- name: LiveStaffSessions :many
-- Sessions not revoked and within the time-outs, newest first.
SELECT id, staff_id, created_at, last_seen_at, ip, user_agent
FROM staff_sessions
WHERE tenant_id = @tenant_id AND revoked_at IS NULL
  AND created_at > @created_after::timestamptz AND last_seen_at > @seen_after::timestamptz
ORDER BY staff_id, last_seen_at DESC;

-- name: RevokeStaffSession :one
UPDATE staff_sessions SET revoked_at = @now::timestamptz, revoked_by = sqlc.narg(revoked_by)::uuid, revoked_reason = @reason::text
WHERE tenant_id = @tenant_id AND id = @id AND staff_id = @staff_id AND revoked_at IS NULL
RETURNING id, created_at, last_seen_at, ip, user_agent;

-- name: RevokeStaffSessions :many
-- Ends every live session of an employee.
UPDATE staff_sessions SET revoked_at = @now::timestamptz, revoked_by = sqlc.narg(revoked_by)::uuid, revoked_reason = @reason::text
WHERE tenant_id = @tenant_id AND staff_id = @staff_id AND revoked_at IS NULL
RETURNING id;
