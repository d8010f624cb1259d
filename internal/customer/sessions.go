package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// Session is one of a customer's sessions (a refresh-token family) as the
// portal lists it.
type Session struct {
	ID            uuid.UUID
	CreatedAt     time.Time
	LastUsedAt    time.Time
	ExpiresAt     time.Time
	RevokedAt     *time.Time
	RevokedReason string
	IP            string
	UserAgent     string
}

// Sessions returns the newest limit sessions of customer id and how many
// there are in all.
func (s *Service) Sessions(ctx context.Context, tenant, id uuid.UUID, limit int) ([]Session, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	var (
		out   []Session
		total int64
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.CustomerSessionList(ctx, db.CustomerSessionListParams{TenantID: tenant, CustomerID: id, MaxRows: int32(limit)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, Session{ID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
				RevokedAt: r.RevokedAt, RevokedReason: deref(r.RevokedReason), IP: r.Ip, UserAgent: r.UserAgent})
		}
		total, err = q.CountCustomerSessions(ctx, db.CountCustomerSessionsParams{TenantID: tenant, CustomerID: id})
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("customer: sessions: %w", err)
	}
	return out, total, nil
}
