package customerauth

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// PasswordExpired reports whether a password changed at changedAt is past
// the policy's maximum age.
func PasswordExpired(p credential.PasswordPolicy, changedAt, now time.Time) bool {
	return p.MaxAgeDays > 0 && now.Sub(changedAt) > time.Duration(p.MaxAgeDays)*24*time.Hour
}

// ChangePassword replaces a customer's password: the current one must be
// right, the new one must keep the tenant's policy, including not being one
// of the last HistoryCount passwords. Every other session of the customer
// ends (keep, the session that made the change, stays); the change is
// audited and announced (customer.password.changed), never with a password.
func (s *Service) ChangePassword(ctx context.Context, tenant, customerID, keep uuid.UUID, current, next, matching string) error {
	var fe apperr.Fields
	if current == "" {
		fe.Add("currentPassword", "is required")
	}
	if next == "" {
		fe.Add("newPassword", "is required")
	}
	if len(current) > maxSecretLen || len(next) > maxSecretLen {
		fe.Add("newPassword", "must be at most %d characters", maxSecretLen)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	var (
		settings customer.Settings
		cred     db.PasswordCredentialRow
		history  []string
	)
	err := s.inTx(ctx, tenant, "change password", func(q *db.Queries, _ func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		if cred, err = q.PasswordCredential(ctx, db.PasswordCredentialParams{TenantID: tenant, CustomerID: customerID}); err != nil {
			return err
		}
		if settings.Password.HistoryCount > 0 {
			history, err = q.PasswordHistory(ctx, db.PasswordHistoryParams{TenantID: tenant, CredentialID: cred.ID, MaxRows: int32(settings.Password.HistoryCount)})
		}
		return err
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
	}
	if err != nil {
		return err
	}
	if !credential.VerifyOrDummy(current, cred.PasswordHash) {
		return apperr.Validation(apperr.FieldError{Field: "currentPassword", Issue: "is not correct"})
	}
	username, _, _ := strings.Cut(cred.Email, "@")
	for _, p := range settings.Password.Check(next, matching, username, cred.Email) {
		switch p.Field {
		case "password":
			p.Field = "newPassword"
		case "matchingPassword":
			p.Field = "matchingPassword"
		}
		fe = append(fe, p)
	}
	if next == current {
		fe.Add("newPassword", "must differ from the current password")
	} else if settings.Password.HistoryCount > 0 {
		for _, h := range history {
			if credential.VerifyOrDummy(next, h) {
				fe.Add("newPassword", "must not be one of your last %d passwords", settings.Password.HistoryCount)
				break
			}
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	hash := credential.Hash(next, s.HashParams)
	return s.inTx(ctx, tenant, "change password", func(q *db.Queries, _ func(error)) error {
		if err := q.AddPasswordHistory(ctx, db.AddPasswordHistoryParams{TenantID: tenant, CredentialID: cred.ID, PasswordHash: cred.PasswordHash}); err != nil {
			return err
		}
		if err := q.ChangePassword(ctx, db.ChangePasswordParams{TenantID: tenant, ID: cred.ID, PasswordHash: hash}); err != nil {
			return err
		}
		// A sign-in waiting for its one-time code checked the old password.
		// Its challenge is expired before the sessions are listed: a sign-in
		// answering its code at this moment either waits for this change and
		// is refused, or committed its session before the list below, which
		// then ends it. A password sign-in is held the same way by the
		// credential row this change has updated (LoginSucceededForHash).
		if err := q.ExpireLoginChallenges(ctx, db.ExpireLoginChallengesParams{TenantID: tenant, CustomerID: customerID, Now: s.now()}); err != nil {
			return err
		}
		ended, err := s.endOtherSessions(ctx, q, tenant, customerID, keep, RevokedPasswordChanged)
		if err != nil {
			return err
		}
		if err := writeAudit(ctx, q, tenant, customerID, "customer.password_changed", "", nil,
			map[string]any{"historyKept": settings.Password.HistoryCount, "otherSessionsEnded": ended}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.password.changed", EntityType: "customer",
			EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "timestamp": stamp(s.now())}})
		return err
	})
}
