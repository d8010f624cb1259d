package customerauth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
)

// OnBehalfTTL bounds a token the tenant's backend takes to act for a
// customer (guide 002's "OAuth User to perform actions on behalf of the
// user"): short, since no password or code of the customer stands behind
// it.
const OnBehalfTTL = 15 * time.Minute

// OnBehalf issues a customer token for customerID to the API client in
// ctx, in a session of its own (so the customer's sign-out list shows it
// and revoking it ends the token), with no refresh token: the backend asks
// again. A LOCKED or CLOSED customer gets none. The issue is audited with
// the client as the actor.
func (s *Service) OnBehalf(ctx context.Context, tenant, customerID uuid.UUID) (Tokens, error) {
	who := actor.From(ctx)
	if who.Kind != actor.APIClient {
		return Tokens{}, apperr.New(apperr.Forbidden, "only the tenant's backend (an admin token) may act on a customer's behalf")
	}
	sid := uuid.New()
	now := s.now()
	var status string
	err := s.inTx(ctx, tenant, "act on behalf", func(q *db.Queries, refuse func(error)) error {
		c, err := q.CustomerByID(ctx, db.CustomerByIDParams{TenantID: tenant, ID: customerID})
		if db.IsNotFound(err) {
			refuse(apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND"))
			return nil
		}
		if err != nil {
			return err
		}
		status = c.Status
		if status == customer.StatusLocked || status == customer.StatusClosed || status == customer.StatusErased {
			refuse(apperr.New(apperr.Conflict, "the customer's account is %s: no token acts for it", status).WithAPI("CUSTOMER_NOT_ACTIVE"))
			return nil
		}
		if err := q.CreateCustomerSession(ctx, db.CreateCustomerSessionParams{ID: sid, TenantID: tenant, CustomerID: customerID,
			Now: now, ExpiresAt: now.Add(OnBehalfTTL), Ip: "", UserAgent: clip("on behalf: "+who.Name, 255)}); err != nil {
			return err
		}
		return writeAudit(ctx, q, tenant, customerID, "customer.token.on_behalf", "ON_BEHALF", nil,
			map[string]any{"sessionId": sid, "client": who.Name, "expiresAt": stamp(now.Add(OnBehalfTTL))})
	})
	if err != nil {
		return Tokens{}, err
	}
	access, claims, err := s.keys.Issue(ctx, credential.Claims{Kind: credential.KindCustomer, Subject: customerID.String(),
		TenantID: tenant, SessionID: sid.String()}, OnBehalfTTL)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, ExpiresIn: int(claims.Expiry.Sub(claims.IssuedAt) / time.Second), CustomerID: customerID, SessionID: sid}, nil
}
