package customerauth

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// Why a session ended, as customer_sessions.revoked_reason records it.
const (
	RevokedLogout          = "LOGOUT"
	RevokedTokenReused     = "REFRESH_TOKEN_REUSED"
	RevokedPasswordChanged = "PASSWORD_CHANGED"
	RevokedPINChanged      = "PIN_CHANGED"
)

func errInvalidRefresh() error {
	return apperr.New(apperr.Unauthenticated, "the refresh token is not valid; sign in again").WithAPI("INVALID_REFRESH_TOKEN")
}

// Refresh rotates a session's refresh token: the token presented is marked
// used and a new access and refresh token of the same session are
// returned. A refresh token presented a second time means two parties hold
// it — one of them a thief — so the whole session (the token family) is
// revoked at once, which also stops its access tokens, and the answer is
// REFRESH_TOKEN_REUSED.
func (s *Service) Refresh(ctx context.Context, tenant uuid.UUID, refreshToken string) (Tokens, error) {
	refreshToken = strings.TrimSpace(refreshToken)
	if refreshToken == "" {
		return Tokens{}, apperr.Validation(apperr.FieldError{Field: "refreshToken", Issue: "is required"})
	}
	if len(refreshToken) > 512 {
		return Tokens{}, errInvalidRefresh()
	}
	hash := hashRefreshToken(refreshToken)
	var (
		fam      db.RefreshTokenSessionRow
		settings customer.Settings
	)
	err := s.inTx(ctx, tenant, "refresh", func(q *db.Queries, refuse func(error)) error {
		var err error
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		fam, err = q.RefreshTokenSession(ctx, db.RefreshTokenSessionParams{TenantID: tenant, TokenHash: hash})
		if db.IsNotFound(err) {
			refuse(errInvalidRefresh())
			return nil
		}
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	// Signed before the transaction, which then needs no second connection.
	access, claims, err := s.keys.Issue(ctx, credential.Claims{Kind: credential.KindCustomer, Subject: fam.CustomerID.String(),
		TenantID: tenant, SessionID: fam.SessionID.String()}, settings.AccessTokenTTL)
	if err != nil {
		return Tokens{}, err
	}
	next, nextHash := newRefreshToken()
	now := s.now()
	ctx = actor.With(ctx, actor.Actor{Kind: actor.Customer, ID: fam.CustomerID.String(), Name: "customer", TenantID: tenant})
	err = s.inTx(ctx, tenant, "refresh", func(q *db.Queries, refuse func(error)) error {
		row, err := q.RefreshTokenForUpdate(ctx, db.RefreshTokenForUpdateParams{TenantID: tenant, TokenHash: hash})
		if db.IsNotFound(err) {
			refuse(errInvalidRefresh())
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case row.UsedAt != nil:
			refuse(apperr.New(apperr.Unauthenticated, "this refresh token was used before; the session has been ended, sign in again").WithAPI("REFRESH_TOKEN_REUSED"))
			return s.revoke(ctx, q, tenant, row.CustomerID, row.SessionID, RevokedTokenReused)
		case row.RevokedAt != nil:
			refuse(apperr.New(apperr.Unauthenticated, "the session has ended; sign in again").WithAPI("SESSION_REVOKED"))
			return nil
		case !now.Before(row.ExpiresAt):
			refuse(apperr.New(apperr.Unauthenticated, "the session has expired; sign in again").WithAPI("SESSION_EXPIRED"))
			return nil
		}
		if err := customerActive(row.CustomerStatus, ""); err != nil {
			refuse(err)
			return nil
		}
		if n, err := q.UseRefreshToken(ctx, db.UseRefreshTokenParams{TenantID: tenant, TokenHash: hash, Now: now}); err != nil || n != 1 {
			if err == nil {
				err = apperr.New(apperr.Conflict, "the refresh token is being used concurrently").WithAPI("REFRESH_TOKEN_REUSED")
			}
			return err
		}
		if err := q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: nextHash, TenantID: tenant, SessionID: row.SessionID, Now: now}); err != nil {
			return err
		}
		if err := q.TouchCustomerSession(ctx, db.TouchCustomerSessionParams{TenantID: tenant, ID: row.SessionID, Now: now}); err != nil {
			return err
		}
		return writeAudit(ctx, q, tenant, row.CustomerID, "customer.session_refreshed", "", nil, map[string]any{"sessionId": row.SessionID})
	})
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: next, ExpiresIn: int(claims.Expiry.Sub(claims.IssuedAt).Seconds()),
		CustomerID: fam.CustomerID, SessionID: fam.SessionID}, nil
}

// Logout ends customer's session: its refresh token stops working, and so
// do its access tokens, at their next call.
func (s *Service) Logout(ctx context.Context, tenant, customerID uuid.UUID, session string) error {
	sid, err := uuid.Parse(session)
	if err != nil {
		return apperr.New(apperr.Conflict, "this token belongs to no session").WithAPI("NO_SESSION")
	}
	return s.inTx(ctx, tenant, "logout", func(q *db.Queries, _ func(error)) error {
		return s.revoke(ctx, q, tenant, customerID, sid, RevokedLogout)
	})
}

// revoke ends a session with an audit record, and an event when the
// ending is a security matter rather than the customer's choice.
func (s *Service) revoke(ctx context.Context, q *db.Queries, tenant, customerID, sid uuid.UUID, reason string) error {
	n, err := q.RevokeCustomerSession(ctx, db.RevokeCustomerSessionParams{TenantID: tenant, ID: sid, CustomerID: customerID, Now: s.now(), Reason: reason})
	if err != nil || n == 0 {
		return err // already ended: nothing to record
	}
	action := "customer.signed_out"
	if reason != RevokedLogout {
		action = "customer.session_revoked"
	}
	if err := writeAudit(ctx, q, tenant, customerID, action, reason, nil, map[string]any{"sessionId": sid}); err != nil {
		return err
	}
	if reason == RevokedLogout {
		return nil
	}
	_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.session.revoked", EntityType: "customer",
		EntityID: customerID.String(), Payload: map[string]any{"customerId": customerID, "sessionId": sid, "reason": reason,
			"timestamp": stamp(s.now())}})
	return err
}

// endOtherSessions ends every session of customerID except keep (all of
// them when keep is uuid.Nil), each audited and announced as revoke does:
// their refresh tokens are refused from now on and their access tokens at
// their next call. A changed password or PIN must not leave a thief's
// session alive.
func (s *Service) endOtherSessions(ctx context.Context, q *db.Queries, tenant, customerID, keep uuid.UUID, reason string) (int, error) {
	ids, err := q.LiveCustomerSessionIDs(ctx, db.LiveCustomerSessionIDsParams{TenantID: tenant, CustomerID: customerID})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if id == keep {
			continue
		}
		if err := s.revoke(ctx, q, tenant, customerID, id, reason); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
