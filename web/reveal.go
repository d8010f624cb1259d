package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ciamhq/ciam/db"
)

// A secret shown once travels from the POST that made it to the page the
// POST redirects to through a one-time reveal: sealed in portal_reveals
// for the employee's session, and deleted by the page that shows it. So a
// reload neither repeats the action nor shows the secret again, and the
// secret is never in a URL, a cookie or the database in clear.

// revealTTL is how long a reveal waits for its page.
const revealTTL = 5 * time.Minute

// Kinds of reveal: the page each one is for.
const (
	revealAPIClient = "api-client"
	revealWebhook   = "webhook"
	// revealCustomerPII names the customer whose sensitive values the
	// next showing of their page unmasks (the POST audited the reveal).
	revealCustomerPII = "customer-pii"
)

func revealAAD(tenant, session, kind string) []byte {
	return []byte("portal-reveal:" + tenant + ":" + session + ":" + kind)
}

// putReveal keeps v for the next page of kind the session opens.
func (s *server) putReveal(ctx context.Context, kind string, v any) error {
	emp, _ := employeeFrom(ctx)
	sid := sessionIDFrom(ctx)
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("reveal: %w", err)
	}
	sealed := s.Config.FieldKeys.Seal(raw, revealAAD(emp.TenantID.String(), sid.String(), kind))
	return db.InTenantTx(ctx, s.Pool, emp.TenantID, func(q *db.Queries) error {
		return q.PutReveal(ctx, db.PutRevealParams{TenantID: emp.TenantID, SessionID: sid, Kind: kind,
			Sealed: sealed, ExpiresAt: s.Now().Add(revealTTL)})
	})
}

// takeReveal fills v with the session's newest live reveal of kind and
// deletes every one of that kind; it reports whether there was one.
func (s *server) takeReveal(ctx context.Context, kind string, v any) (bool, error) {
	emp, _ := employeeFrom(ctx)
	sid := sessionIDFrom(ctx)
	var rows []db.TakeRevealsRow
	err := db.InTenantTx(ctx, s.Pool, emp.TenantID, func(q *db.Queries) error {
		var err error
		rows, err = q.TakeReveals(ctx, db.TakeRevealsParams{TenantID: emp.TenantID, SessionID: sid, Kind: kind})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("reveal: %w", err)
	}
	var newest *db.TakeRevealsRow
	for i := range rows {
		if rows[i].ExpiresAt.After(s.Now()) && (newest == nil || rows[i].CreatedAt.After(newest.CreatedAt)) {
			newest = &rows[i]
		}
	}
	if newest == nil {
		return false, nil
	}
	raw, err := s.Config.FieldKeys.Open(newest.Sealed, revealAAD(emp.TenantID.String(), sid.String(), kind))
	if err != nil {
		return false, errors.Join(errors.New("reveal: open"), err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("reveal: %w", err)
	}
	return true, nil
}
