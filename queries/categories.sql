-- Categorisation as tenant administrators edit it in the portal.

-- name: CategoryForUpdate :one
SELECT * FROM customer_categories WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: UpdateCategory :one
UPDATE customer_categories
SET description = @description, risk_level = @risk_level, is_active = @is_active, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: FeatureByID :one
SELECT * FROM category_features WHERE tenant_id = @tenant_id AND id = @id;

-- name: FeatureList :many
SELECT f.id AS feature_id, f.code, f.name,
       p.id AS parameter_id, p.name AS parameter_name, p.mandatory, p.allowed_values
FROM category_features f
LEFT JOIN feature_parameters p ON p.feature_id = f.id
WHERE f.tenant_id = @tenant_id
ORDER BY f.code, p.position, p.name;

-- name: AttachCategoryFeature :execrows
INSERT INTO category_feature_links (tenant_id, category_id, feature_id)
VALUES (@tenant_id, @category_id, @feature_id)
ON CONFLICT DO NOTHING;

-- name: DetachCategoryFeature :execrows
DELETE FROM category_feature_links
WHERE tenant_id = @tenant_id AND category_id = @category_id AND feature_id = @feature_id;

-- name: NextParameterPosition :one
SELECT coalesce(max(position) + 1, 0)::int FROM feature_parameters
WHERE tenant_id = @tenant_id AND feature_id = @feature_id;

-- name: DeleteFeatureParameter :one
DELETE FROM feature_parameters
WHERE tenant_id = @tenant_id AND feature_id = @feature_id AND id = @id
RETURNING *;
