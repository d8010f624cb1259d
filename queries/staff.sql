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
