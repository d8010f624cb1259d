-- name: TenantSettings :one
SELECT * FROM tenant_settings WHERE tenant_id = @tenant_id;

-- name: EnsureTenantSettings :exec
INSERT INTO tenant_settings (tenant_id) VALUES (@tenant_id) ON CONFLICT (tenant_id) DO NOTHING;

-- name: CategoryHierarchy :many
SELECT c.id AS category_id, c.name AS category_name, c.description AS category_description,
       c.risk_level, c.is_active,
       f.id AS feature_id, f.code AS feature_code, f.name AS feature_name,
       p.id AS parameter_id, p.name AS parameter_name, p.mandatory, p.allowed_values
FROM customer_categories c
LEFT JOIN category_feature_links l ON l.category_id = c.id
LEFT JOIN category_features f ON f.id = l.feature_id
LEFT JOIN feature_parameters p ON p.feature_id = f.id
WHERE c.tenant_id = @tenant_id
ORDER BY c.name, f.code, p.position, p.name;

-- name: CreateCategory :one
INSERT INTO customer_categories (id, tenant_id, name, description, risk_level, is_active)
VALUES (@id, @tenant_id, @name, @description, @risk_level, @is_active)
RETURNING *;

-- name: CreateFeature :one
INSERT INTO category_features (id, tenant_id, code, name, description)
VALUES (@id, @tenant_id, @code, @name, @description)
RETURNING *;

-- name: LinkCategoryFeature :exec
INSERT INTO category_feature_links (tenant_id, category_id, feature_id)
VALUES (@tenant_id, @category_id, @feature_id)
ON CONFLICT DO NOTHING;

-- name: CreateFeatureParameter :one
INSERT INTO feature_parameters (id, tenant_id, feature_id, name, mandatory, allowed_values, position)
VALUES (@id, @tenant_id, @feature_id, @name, @mandatory, @allowed_values, @position)
RETURNING *;

-- name: CustomerEmailTaken :one
SELECT EXISTS (SELECT 1 FROM customers WHERE tenant_id = @tenant_id AND lower(email) = lower(@email));

-- name: CreateCustomer :one
INSERT INTO customers (id, tenant_id, email, first_name, middle_name, last_name, date_of_birth, place_of_birth,
    nationality, phone_number, alternate_phone_number, address, occupation, employer_name, annual_income,
    source_of_funds, status, permission, risk_level, risk_reasons, category_id, categorization, registration_ip, client_id,
    cip_tag, supp_id)
VALUES (@id, @tenant_id, @email, @first_name, @middle_name, @last_name, @date_of_birth, @place_of_birth,
    @nationality, @phone_number, @alternate_phone_number, @address, @occupation, @employer_name, @annual_income,
    @source_of_funds, @status, @permission, @risk_level, @risk_reasons, @category_id, @categorization, @registration_ip,
    sqlc.narg(client_id), @cip_tag, @supp_id)
RETURNING *;

-- name: CreateCredential :exec
INSERT INTO customer_credentials (id, tenant_id, customer_id, password_hash)
VALUES (@id, @tenant_id, @customer_id, @password_hash);

-- name: CreateWallet :one
INSERT INTO wallets (id, tenant_id, customer_id, status) VALUES (@id, @tenant_id, @customer_id, 'INACTIVE')
RETURNING *;

-- name: CreateVerificationRequest :one
INSERT INTO verification_requests (id, tenant_id, customer_id, status, risk_level)
VALUES (@id, @tenant_id, @customer_id, @status, @risk_level)
RETURNING *;

-- name: CreateEmailVerificationToken :exec
INSERT INTO email_verification_tokens (tenant_id, customer_id, token_hash, expires_at)
VALUES (@tenant_id, @customer_id, @token_hash, @expires_at);

-- name: UseEmailVerificationToken :one
UPDATE email_verification_tokens SET used_at = now()
WHERE tenant_id = @tenant_id AND token_hash = @token_hash AND used_at IS NULL AND expires_at > now()
RETURNING customer_id;

-- name: MarkEmailVerified :one
UPDATE customers SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CustomerByID :one
SELECT * FROM customers WHERE tenant_id = @tenant_id AND id = @id;

-- name: CustomerForUpdate :one
SELECT * FROM customers WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: CustomerDetail :one
-- A customer with their user id, wallets (oldest first), verification
-- requests and documents (newest first) and the tenant's document
-- requirements, in one statement: a read of the customer is one round
-- trip, not six.
SELECT sqlc.embed(c),
    cr.id AS user_id,
    ac.client_id AS api_client_id,
    ac.name AS client_name,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', w.id, 'status', w.status, 'currency', w.currency, 'iban', w.iban,
                 'dailyLimit', w.daily_limit::text, 'requiresApprovalAbove', w.requires_approval_above::text,
                 'limitsSource', w.limits_source, 'createdAt', w.created_at) ORDER BY w.created_at)
              FROM wallets w WHERE w.tenant_id = c.tenant_id AND w.customer_id = c.id), '[]')::jsonb AS wallets,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'status', v.status, 'riskLevel', v.risk_level,
                 'createdAt', v.created_at, 'updatedAt', v.updated_at) ORDER BY v.created_at DESC)
              FROM verification_requests v WHERE v.tenant_id = c.tenant_id AND v.customer_id = c.id), '[]')::jsonb AS verifications,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'type', d.type, 'status', d.status, 'createdAt', d.created_at) ORDER BY d.created_at DESC)
              FROM documents d WHERE d.tenant_id = c.tenant_id AND d.customer_id = c.id), '[]')::jsonb AS documents,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'country', r.country, 'riskLevel', r.risk_level, 'docType', r.doc_type,
                 'subTypes', r.sub_types, 'required', r.required, 'maxAgeDays', r.max_age_days, 'cipTag', r.cip_tag)
                 ORDER BY r.cip_tag, r.country, r.risk_level, r.doc_type)
              FROM kyc_requirements r WHERE r.tenant_id = c.tenant_id), '[]')::jsonb AS requirements,
    -- The custom compliance fields on file, by name, as anyone may see
    -- them: a virtual document's masked (the newest of each field), a
    -- sealed value's masked, a plain value in full (compliance.CustomerFields
    -- without opening).
    coalesce((SELECT jsonb_object_agg(f.field, f.shown) FROM (
                  (SELECT DISTINCT ON (vd.compliance_field) vd.compliance_field AS field, vd.masked AS shown
                   FROM virtual_documents vd WHERE vd.tenant_id = c.tenant_id AND vd.customer_id = c.id AND vd.compliance_field <> ''
                   ORDER BY vd.compliance_field, vd.created_at DESC, vd.id)
                  UNION ALL
                  SELECT fv.field, CASE WHEN fv.value_sealed IS NULL THEN fv.value_text ELSE fv.masked END
                  FROM compliance_field_values fv WHERE fv.tenant_id = c.tenant_id AND fv.customer_id = c.id) f), '{}')::jsonb AS compliance_fields
FROM customers c
LEFT JOIN customer_credentials cr ON cr.tenant_id = c.tenant_id AND cr.customer_id = c.id
LEFT JOIN api_clients ac ON ac.tenant_id = c.tenant_id AND ac.id = c.client_id
WHERE c.tenant_id = @tenant_id AND c.id = @id;

-- name: SetCustomerStanding :one
UPDATE customers
SET status = @status, permission = @permission, previous_status = @previous_status,
    previous_permission = @previous_permission, updated_at = now(),
    closed_at = CASE WHEN @status::text = 'CLOSED' THEN coalesce(closed_at, sqlc.narg(closed_at)::timestamptz, now()) END
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CustomerStanding :one
SELECT status, permission FROM customers WHERE tenant_id = @tenant_id AND id = @id;

-- name: CustomerSessionState :one
SELECT c.status, s.revoked_at, s.expires_at
FROM customers c
LEFT JOIN customer_sessions s ON s.tenant_id = c.tenant_id AND s.customer_id = c.id AND s.id = sqlc.narg(session_id)::uuid
WHERE c.tenant_id = @tenant_id AND c.id = @customer_id;

-- name: RevokeCustomerSessions :execrows
UPDATE customer_sessions SET revoked_at = now(), revoked_reason = @reason
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND revoked_at IS NULL;

-- name: WalletForUpdate :one
SELECT * FROM wallets WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: SetWalletLimits :one
UPDATE wallets
SET daily_limit = @daily_limit, requires_approval_above = @requires_approval_above, limits_source = @limits_source
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: HideCustomer :one
-- MAKE-IT-GO-AWAY: the customer leaves search and lists; the record stays.
UPDATE customers
SET permission = 'MAKE-IT-GO-AWAY', previous_permission = permission, is_hidden = true, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: UpdateCustomerProfile :one
UPDATE customers
SET email = @email, first_name = @first_name, middle_name = @middle_name, last_name = @last_name,
    date_of_birth = @date_of_birth, place_of_birth = @place_of_birth, nationality = @nationality,
    phone_number = @phone_number, alternate_phone_number = @alternate_phone_number, address = @address,
    occupation = @occupation, employer_name = @employer_name, annual_income = @annual_income,
    source_of_funds = @source_of_funds,
    -- A new address must be verified again.
    email_verified_at = CASE WHEN lower(email) = lower(@email) THEN email_verified_at END,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: CustomerEmailTakenByOther :one
SELECT EXISTS (SELECT 1 FROM customers WHERE tenant_id = @tenant_id AND lower(email) = lower(@email) AND id <> @id);
