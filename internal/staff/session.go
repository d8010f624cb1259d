package staff

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Why a portal session ended, as staff_sessions.revoked_reason records it.
const (
	SessionSignedOut   = "SIGNED_OUT"
	SessionRevoked     = "REVOKED_BY_ADMIN"
	SessionDeactivated = "EMPLOYEE_DEACTIVATED"
	SessionRoleRemoved = "ROLE_REMOVED"
)

// Session is a live portal session, as the staff page lists it.
type Session struct {
	ID         uuid.UUID
	StaffID    uuid.UUID
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// errSessionEnded is a session cookie whose server-side session is gone:
// signed out, revoked, or never recorded.
func errSessionEnded() error {
	return apperr.New(apperr.Unauthenticated, "this session has ended; sign in again")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// StartSession records a new portal session of e, from ip with userAgent,
// and returns its id for the session cookie. The id is random (UUID v4);
// the cookie that carries it is sealed by the server's session keys.
func (s *Service) StartSession(ctx context.Context, e Employee, ip, userAgent string, now time.Time) (uuid.UUID, error) {
	id := uuid.New()
	err := db.OneStatement(ctx, s.pool, e.TenantID, func(q *db.Queries) error {
		return q.CreateStaffSession(ctx, db.CreateStaffSessionParams{ID: id, TenantID: e.TenantID, StaffID: e.ID,
			Now: now, Ip: clip(ip, 64), UserAgent: clip(userAgent, 255)})
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("staff: start session: %w", err)
	}
	return id, nil
}

// Resume is Load for a request of portal session sessionID: the session
// must be live (not signed out or revoked) and belong to employee id. It
// costs one indexed look-up, and a second statement at most once every
// touchEvery, to record when the session was last seen. An ended session
// is Unauthenticated; a deactivated employee Forbidden; an unknown one
// NotFound.
func (s *Service) Resume(ctx context.Context, tenant, id, sessionID uuid.UUID, groupRoles []Role, now time.Time, touchEvery time.Duration) (Employee, error) {
	var row db.StaffSessionEmployeeRow
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		row, err = q.StaffSessionEmployee(ctx, db.StaffSessionEmployeeParams{TenantID: tenant, ID: sessionID, StaffID: id})
		return err
	})
	if db.IsNotFound(err) {
		return Employee{}, errSessionEnded()
	}
	if err != nil {
		return Employee{}, fmt.Errorf("staff: resume session: %w", err)
	}
	if row.RevokedAt != nil {
		return Employee{}, errSessionEnded()
	}
	e := employeeFrom(row.Staff, row.Roles)
	if e.Status != StatusActive {
		return Employee{}, apperr.New(apperr.Forbidden, "this employee account is deactivated")
	}
	e.GroupRoles = groupRoles
	e.Perms = PermissionsOf(e.AllRoles())
	if now.Sub(row.LastSeenAt) > touchEvery {
		err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
			return q.TouchStaffSession(ctx, db.TouchStaffSessionParams{TenantID: tenant, ID: sessionID, Now: now})
		})
		if err != nil {
			return Employee{}, fmt.Errorf("staff: touch session: %w", err)
		}
	}
	return e, nil
}

// LiveSessions returns the tenant's live portal sessions by employee: not
// ended, created after createdAfter and seen after seenAfter (the absolute
// and idle time-outs).
func (s *Service) LiveSessions(ctx context.Context, tenant uuid.UUID, createdAfter, seenAfter time.Time) (map[uuid.UUID][]Session, error) {
	out := map[uuid.UUID][]Session{}
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.LiveStaffSessions(ctx, db.LiveStaffSessionsParams{TenantID: tenant, CreatedAfter: createdAfter, SeenAfter: seenAfter})
		for _, r := range rows {
			out[r.StaffID] = append(out[r.StaffID], Session{ID: r.ID, StaffID: r.StaffID, CreatedAt: r.CreatedAt,
				LastSeenAt: r.LastSeenAt, IP: r.Ip, UserAgent: r.UserAgent})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("staff: live sessions: %w", err)
	}
	return out, nil
}

// SignOut ends e's portal session sessionID and audits the sign-out. A
// session already ended is signed out all the same.
func (s *Service) SignOut(ctx context.Context, e Employee, sessionID uuid.UUID) error {
	ctx = actor.With(ctx, e.Actor())
	err := db.InTenantTx(ctx, s.pool, e.TenantID, func(q *db.Queries) error {
		if sessionID != uuid.Nil {
			_, err := q.RevokeStaffSession(ctx, db.RevokeStaffSessionParams{Now: time.Now(), RevokedBy: &e.ID, Reason: SessionSignedOut,
				TenantID: e.TenantID, ID: sessionID, StaffID: e.ID})
			if err != nil && !db.IsNotFound(err) {
				return err
			}
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: e.TenantID, Action: "auth.signout", EntityType: "staff", EntityID: e.ID.String(),
			After: map[string]any{"sessionId": sessionID}})
	})
	if err != nil {
		return fmt.Errorf("staff: sign out: %w", err)
	}
	return nil
}

// RevokeSession ends employee id's portal session sessionID on the word
// of the employee in ctx (an administrator), with an audit record. The
// cookie of that session is refused from its next request.
func (s *Service) RevokeSession(ctx context.Context, tenant, id, sessionID uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.RevokeStaffSession(ctx, db.RevokeStaffSessionParams{Now: time.Now(), RevokedBy: granterID(ctx), Reason: SessionRevoked,
			TenantID: tenant, ID: sessionID, StaffID: id})
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "staff.session.revoked", EntityType: "staff", EntityID: id.String(),
			ReasonCode: SessionRevoked,
			Before: map[string]any{"sessionId": row.ID, "createdAt": row.CreatedAt.UTC().Format(time.RFC3339),
				"lastSeenAt": row.LastSeenAt.UTC().Format(time.RFC3339), "ip": row.Ip, "userAgent": row.UserAgent},
			After: map[string]any{"revoked": true}})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.Conflict, "this session has already ended")
	}
	if err != nil {
		return fmt.Errorf("staff: revoke session: %w", err)
	}
	return nil
}

// endSessionsInTx ends every live portal session of employee id, in the
// caller's transaction, with one audit record naming them; nothing is
// recorded when there were none.
func endSessionsInTx(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, reason string) error {
	ended, err := q.RevokeStaffSessions(ctx, db.RevokeStaffSessionsParams{Now: time.Now(), RevokedBy: granterID(ctx), Reason: reason,
		TenantID: tenant, StaffID: id})
	if err != nil || len(ended) == 0 {
		return err
	}
	return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "staff.sessions.ended", EntityType: "staff", EntityID: id.String(),
		ReasonCode: reason, After: map[string]any{"sessionIds": ended}})
}
