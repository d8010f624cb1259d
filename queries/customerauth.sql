-- Customer authentication: sign-in with lockout, sessions (refresh-token
-- families), transaction PINs, one-time codes and TOTP.

-- name: CommitWithoutWaitingForDisk :exec
-- The transaction's COMMIT returns before its record reaches the disk: for
-- a transaction that is always followed, before anyone is answered, by one
-- that waits for it. PostgreSQL writes its log in order, so the second
-- commit's flush carries the first's.
SELECT set_config('synchronous_commit', 'off', true);

-- name: LoginCredential :one
SELECT cr.id, cr.customer_id, cr.password_hash, cr.status AS credential_status,
       c.status AS customer_status, c.email, c.phone_number, cr.totp_confirmed_at, cr.password_changed_at
FROM customer_credentials cr
JOIN customers c ON c.tenant_id = cr.tenant_id AND c.id = cr.customer_id
WHERE cr.tenant_id = @tenant_id AND lower(c.email) = lower(@email);

-- name: ReserveLoginAttempt :one
-- Counts an attempt before the password is checked, so concurrent wrong
-- attempts can never exceed the limit: the attempt that reaches the limit
-- sets the lock itself, and a correct password gives it back. An expired
-- lock starts the count again.
UPDATE customer_credentials
SET failed_logins = (CASE WHEN locked_until IS NOT NULL AND locked_until <= @now::timestamptz THEN 0 ELSE failed_logins END) + 1,
    locked_until = CASE
        WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= @now::timestamptz THEN 0 ELSE failed_logins END) + 1 >= @max_failures::int
        THEN @lock_until::timestamptz
        ELSE NULL END
WHERE tenant_id = @tenant_id AND id = @id AND (locked_until IS NULL OR locked_until <= @now::timestamptz)
RETURNING failed_logins, locked_until;

-- name: LoginLockedUntil :one
SELECT locked_until FROM customer_credentials WHERE tenant_id = @tenant_id AND id = @id;

-- name: LoginSucceeded :exec
UPDATE customer_credentials SET failed_logins = 0, locked_until = NULL, last_login_at = @now::timestamptz
WHERE tenant_id = @tenant_id AND id = @id;

-- name: CreateCustomerSession :exec
INSERT INTO customer_sessions (id, tenant_id, customer_id, created_at, last_used_at, expires_at, ip, user_agent)
VALUES (@id, @tenant_id, @customer_id, @now::timestamptz, @now::timestamptz, @expires_at, @ip, @user_agent);

-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (token_hash, tenant_id, session_id, created_at)
VALUES (@token_hash, @tenant_id, @session_id, @now::timestamptz);

-- name: RefreshTokenSession :one
SELECT s.id AS session_id, s.customer_id
FROM refresh_tokens rt
JOIN customer_sessions s ON s.tenant_id = rt.tenant_id AND s.id = rt.session_id
WHERE rt.tenant_id = @tenant_id AND rt.token_hash = @token_hash;

-- name: RefreshTokenForUpdate :one
SELECT rt.used_at, s.id AS session_id, s.customer_id, s.expires_at, s.revoked_at, s.revoked_reason,
       c.status AS customer_status
FROM refresh_tokens rt
JOIN customer_sessions s ON s.tenant_id = rt.tenant_id AND s.id = rt.session_id
JOIN customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id
WHERE rt.tenant_id = @tenant_id AND rt.token_hash = @token_hash
FOR UPDATE OF rt, s;

-- name: UseRefreshToken :execrows
UPDATE refresh_tokens SET used_at = @now::timestamptz
WHERE tenant_id = @tenant_id AND token_hash = @token_hash AND used_at IS NULL;

-- name: TouchCustomerSession :exec
UPDATE customer_sessions SET last_used_at = @now::timestamptz WHERE tenant_id = @tenant_id AND id = @id;

-- name: RevokeCustomerSession :execrows
UPDATE customer_sessions SET revoked_at = @now::timestamptz, revoked_reason = @reason::text
WHERE tenant_id = @tenant_id AND id = @id AND customer_id = @customer_id AND revoked_at IS NULL;

-- name: CustomerAuthState :one
-- What the PIN, OTP and TOTP flows need of a customer, locking the
-- credential row so that one customer's security changes run one at a time.
SELECT c.email, c.phone_number, c.status AS customer_status, c.date_of_birth,
       cr.id AS credential_id, cr.status AS credential_status, cr.pin_hash, cr.pin_failures, cr.pin_locked,
       cr.totp_secret, cr.totp_confirmed_at, cr.totp_last_step
FROM customers c
JOIN customer_credentials cr ON cr.tenant_id = c.tenant_id AND cr.customer_id = c.id
WHERE c.tenant_id = @tenant_id AND c.id = @customer_id
FOR UPDATE OF cr;

-- name: ReservePINAttempt :one
-- As ReserveLoginAttempt: the attempt is counted before the PIN is
-- checked; the one that reaches the limit locks the PIN.
UPDATE customer_credentials
SET pin_failures = pin_failures + 1, pin_locked = pin_failures + 1 >= @max_failures::int
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND pin_hash IS NOT NULL AND NOT pin_locked
RETURNING id, pin_hash, pin_failures, pin_locked;

-- name: PINSucceeded :exec
UPDATE customer_credentials SET pin_failures = 0, pin_locked = false
WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetPIN :execrows
UPDATE customer_credentials SET pin_hash = @pin_hash::text, pin_set_at = @now::timestamptz, pin_failures = 0, pin_locked = false
WHERE tenant_id = @tenant_id AND id = @id AND (NOT @only_if_unset::bool OR pin_hash IS NULL);

-- name: ClearPIN :exec
UPDATE customer_credentials SET pin_hash = NULL, pin_set_at = NULL, pin_failures = 0, pin_locked = false
WHERE tenant_id = @tenant_id AND id = @id;

-- name: RecentOTPChallenges :one
SELECT count(*) AS n, coalesce(min(created_at), @since::timestamptz)::timestamptz AS oldest
FROM otp_challenges
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND created_at > @since::timestamptz;

-- name: CreateOTPChallenge :exec
INSERT INTO otp_challenges (id, tenant_id, customer_id, purpose, channel, code_hash, max_attempts, expires_at, created_at)
VALUES (@id, @tenant_id, @customer_id, @purpose, @channel, @code_hash, @max_attempts, @expires_at, @created_at);

-- name: OTPChallenge :one
SELECT * FROM otp_challenges WHERE tenant_id = @tenant_id AND id = @id;

-- name: OTPChallengeForUpdate :one
SELECT * FROM otp_challenges WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: CountOTPAttempt :one
UPDATE otp_challenges SET attempts = attempts + 1 WHERE tenant_id = @tenant_id AND id = @id
RETURNING attempts;

-- name: ConsumeOTPChallenge :exec
UPDATE otp_challenges SET consumed_at = @now::timestamptz WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetTOTPSecret :exec
UPDATE customer_credentials SET totp_secret = @totp_secret, totp_confirmed_at = NULL, totp_last_step = NULL
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ConfirmTOTP :exec
UPDATE customer_credentials SET totp_confirmed_at = @now::timestamptz, totp_last_step = @step::bigint
WHERE tenant_id = @tenant_id AND id = @id;

-- name: SetTOTPLastStep :exec
UPDATE customer_credentials SET totp_last_step = @step::bigint WHERE tenant_id = @tenant_id AND id = @id;

-- name: ClearTOTP :exec
UPDATE customer_credentials SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL
WHERE tenant_id = @tenant_id AND id = @id;

-- name: PasswordCredential :one
SELECT cr.id, cr.password_hash, c.email
FROM customer_credentials cr
JOIN customers c ON c.tenant_id = cr.tenant_id AND c.id = cr.customer_id
WHERE cr.tenant_id = @tenant_id AND cr.customer_id = @customer_id
FOR UPDATE OF cr;

-- name: PasswordHistory :many
SELECT password_hash FROM password_history
WHERE tenant_id = @tenant_id AND credential_id = @credential_id
ORDER BY created_at DESC
LIMIT @max_rows;

-- name: ChangePassword :exec
UPDATE customer_credentials SET password_hash = @password_hash, password_changed_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: AddPasswordHistory :exec
INSERT INTO password_history (tenant_id, credential_id, password_hash) VALUES (@tenant_id, @credential_id, @password_hash);

-- name: LiveCustomerSessionIDs :many
-- The customer's sessions not yet revoked (expired ones included: their
-- refresh tokens are refused anyway, and revoking them costs nothing).
SELECT id FROM customer_sessions
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND revoked_at IS NULL
ORDER BY created_at;

-- name: LoginSucceededForHash :execrows
-- LoginSucceeded for the password hash the sign-in checked: no row when
-- the password changed meanwhile, so that a sign-in with the old password
-- cannot start a session after the change ended the others.
UPDATE customer_credentials SET failed_logins = 0, locked_until = NULL, last_login_at = @now::timestamptz
WHERE tenant_id = @tenant_id AND id = @id AND password_hash = @password_hash;

-- name: ExpireLoginChallenges :exec
-- Sign-ins half done (password checked, code not yet answered) of a
-- customer whose password changed: their codes no longer start a session.
UPDATE otp_challenges SET expires_at = least(expires_at, @now::timestamptz)
WHERE tenant_id = @tenant_id AND customer_id = @customer_id AND purpose = 'LOGIN' AND consumed_at IS NULL;

-- name: CustomerCredentialFacts :one
-- What is known of a customer's login, without its secrets or hashes:
-- for the customer's own subject access export.
SELECT cr.id, cr.status, cr.password_changed_at, cr.failed_logins, cr.locked_until, cr.last_login_at,
       (cr.pin_hash IS NOT NULL)::boolean AS has_pin, cr.pin_set_at, cr.pin_failures, cr.pin_locked,
       cr.totp_confirmed_at, cr.created_at
FROM customer_credentials cr
WHERE cr.tenant_id = @tenant_id AND cr.customer_id = @customer_id;
