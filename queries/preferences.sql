-- name: UpdatePreferences :one
UPDATE tenant_settings
SET locale = @locale, currency = @currency, country = @country, bank_code = @bank_code,
    min_customer_age = @min_customer_age, login_otp_required = @login_otp_required,
    login_max_failures = @login_max_failures, login_lockout = @login_lockout,
    pin_length = @pin_length, pin_max_failures = @pin_max_failures,
    otp_ttl = @otp_ttl, otp_max_attempts = @otp_max_attempts,
    access_token_ttl = @access_token_ttl, refresh_token_ttl = @refresh_token_ttl,
    selfie_unchecked_blocks_approval = @selfie_unchecked_blocks_approval, auto_activate = @auto_activate,
    quality_thresholds = @quality_thresholds, rate_limits = @rate_limits, updated_at = now()
WHERE tenant_id = @tenant_id
RETURNING *;

-- name: UpdatePasswordPolicy :exec
UPDATE tenant_settings SET password_policy = @password_policy, updated_at = now() WHERE tenant_id = @tenant_id;

-- name: SetTenantTimeZone :exec
UPDATE tenants SET time_zone = @time_zone, updated_at = now() WHERE id = @id;
