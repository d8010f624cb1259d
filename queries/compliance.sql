-- name: CompliancePacks :many
SELECT * FROM compliance_packs WHERE tenant_id = @tenant_id ORDER BY pack_id;

-- name: CompliancePack :one
SELECT * FROM compliance_packs WHERE tenant_id = @tenant_id AND pack_id = @pack_id;

-- name: UpsertCompliancePack :one
INSERT INTO compliance_packs (tenant_id, pack_id, pack_version, countries, overrides, overrides_hash, updated_by)
VALUES (@tenant_id, @pack_id, @pack_version, @countries, @overrides, @overrides_hash, @updated_by)
ON CONFLICT (tenant_id, pack_id) DO UPDATE SET pack_version = EXCLUDED.pack_version, countries = EXCLUDED.countries,
    overrides = EXCLUDED.overrides, overrides_hash = EXCLUDED.overrides_hash, updated_by = EXCLUDED.updated_by, updated_at = now()
RETURNING *;

-- name: DeleteCompliancePack :execrows
DELETE FROM compliance_packs WHERE tenant_id = @tenant_id AND pack_id = @pack_id;

-- name: ComplianceFieldValues :many
SELECT * FROM compliance_field_values WHERE tenant_id = @tenant_id AND customer_id = @customer_id ORDER BY field;

-- name: UpsertComplianceFieldValue :exec
INSERT INTO compliance_field_values (tenant_id, customer_id, field, value_text, value_sealed, masked, key_id)
VALUES (@tenant_id, @customer_id, @field, @value_text, @value_sealed, @masked, @key_id)
ON CONFLICT (tenant_id, customer_id, field) DO UPDATE SET value_text = EXCLUDED.value_text, value_sealed = EXCLUDED.value_sealed,
    masked = EXCLUDED.masked, key_id = EXCLUDED.key_id, updated_at = now();

-- name: ComplianceFieldDocuments :many
-- The customer's virtual documents given as compliance fields, newest first.
SELECT * FROM virtual_documents WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND compliance_field <> ''
ORDER BY created_at DESC, id;

-- name: SetVirtualDocumentField :exec
UPDATE virtual_documents SET compliance_field = @compliance_field WHERE tenant_id = @tenant_id AND id = @id;

-- name: LatestVerificationRequestID :one
SELECT id FROM verification_requests WHERE tenant_id = @tenant_id AND customer_id = @customer_id ORDER BY created_at DESC, id LIMIT 1;

-- name: SetVerificationCompliancePack :exec
UPDATE verification_requests SET compliance_pack = @compliance_pack WHERE tenant_id = @tenant_id AND id = @id;
