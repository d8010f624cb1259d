-- name: CreateTenant :one
INSERT INTO tenants (id, slug, name, time_zone)
VALUES (@id, @slug, @name, @time_zone)
RETURNING *;

-- name: TenantByID :one
SELECT * FROM tenants WHERE id = @id;

-- name: TenantBySlug :one
SELECT * FROM tenants WHERE slug = @slug;

-- name: ListTenants :many
SELECT * FROM tenants ORDER BY name, id;
