package staff

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/metrics"
)

// Identity is what a verified ID token says about the person signing in.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// Reason codes of failed sign-ins, as the audit trail records them.
const (
	ReasonUnknownIdentity = "UNKNOWN_IDENTITY"
	ReasonDeactivated     = "EMPLOYEE_DEACTIVATED"
	ReasonNoRole          = "NO_ROLE"
	ReasonTenantSuspended = "TENANT_SUSPENDED"
)

// ErrNoAccess is returned for a valid identity that may not use the portal.
func errNoAccess(reason string) error {
	e := apperr.New(apperr.Forbidden, "your sign-in worked, but this account has no access to the back office")
	e.APICode = reason
	return e
}

// SignIn finds the employee behind id, links the identity on a first
// sign-in (by verified e-mail address), and audits the attempt either way.
// roleMap turns IdP groups into roles.
func (s *Service) SignIn(ctx context.Context, id Identity, roleMap map[string]string) (Employee, error) {
	var match db.StaffForIdentityRow
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		email := ""
		if id.EmailVerified {
			email = id.Email
		}
		var err error
		match, err = q.StaffForIdentity(ctx, db.StaffForIdentityParams{Issuer: id.Issuer, Subject: id.Subject, Email: email})
		return err
	})
	if db.IsNotFound(err) {
		s.recordFailure(ctx, uuid.Nil, id, ReasonUnknownIdentity)
		return Employee{}, errNoAccess(ReasonUnknownIdentity)
	}
	if err != nil {
		return Employee{}, fmt.Errorf("staff: sign in: %w", err)
	}

	var groupRoles []Role
	for _, g := range id.Groups {
		if r, ok := roleMap[g]; ok && ValidRole(r) && !slices.Contains(groupRoles, Role(r)) {
			groupRoles = append(groupRoles, Role(r))
		}
	}

	var (
		emp    Employee
		reason string
	)
	err = db.InTenantTx(ctx, s.pool, match.TenantID, func(q *db.Queries) error {
		tenant, err := q.TenantByID(ctx, match.TenantID)
		if err != nil {
			return err
		}
		row, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: match.TenantID, ID: match.StaffID})
		if err != nil {
			return err
		}
		roles, err := q.StaffRoles(ctx, db.StaffRolesParams{TenantID: match.TenantID, StaffID: match.StaffID})
		if err != nil {
			return err
		}
		emp = employeeFrom(row, roles)
		emp.GroupRoles = groupRoles
		emp.Perms = PermissionsOf(emp.AllRoles())
		switch {
		case tenant.Status != "ACTIVE":
			reason = ReasonTenantSuspended
		case row.Status != StatusActive:
			reason = ReasonDeactivated
		case len(emp.AllRoles()) == 0:
			reason = ReasonNoRole
		}
		if reason != "" {
			return nil
		}
		if !match.Linked {
			if err := q.LinkStaffIdentity(ctx, db.LinkStaffIdentityParams{
				TenantID: match.TenantID, StaffID: match.StaffID, Issuer: id.Issuer, Subject: id.Subject,
			}); err != nil {
				return err
			}
		}
		if err := q.TouchStaffLogin(ctx, db.TouchStaffLoginParams{TenantID: match.TenantID, ID: match.StaffID}); err != nil {
			return err
		}
		actx := actor.With(ctx, emp.Actor())
		return audit.Write(actx, q, audit.Entry{
			TenantID: match.TenantID, Action: "auth.signin", EntityType: "staff", EntityID: emp.ID.String(),
			After: map[string]any{"issuer": id.Issuer, "firstSignIn": !match.Linked, "roles": emp.AllRoles()},
		})
	})
	if err != nil {
		return Employee{}, fmt.Errorf("staff: sign in: %w", err)
	}
	if reason != "" {
		s.recordFailure(ctx, match.TenantID, id, reason)
		return Employee{}, errNoAccess(reason)
	}
	return emp, nil
}

// RecordSignInFailure audits a sign-in that failed before an identity was
// established (bad state, bad token), in the trail of no tenant.
func (s *Service) RecordSignInFailure(ctx context.Context, reason string, details map[string]any) {
	s.Metrics.SignInFailed(metrics.Staff, reason, false)
	ctx = actor.With(ctx, actor.Actor{Kind: actor.Anonymous, Name: "unknown"})
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{Action: "auth.signin.failed", ReasonCode: reason, After: details})
	})
	if err != nil {
		slog.ErrorContext(ctx, "audit a failed sign-in", slog.Any("error", err))
	}
}

func (s *Service) recordFailure(ctx context.Context, tenant uuid.UUID, id Identity, reason string) {
	s.Metrics.SignInFailed(metrics.Staff, reason, false)
	ctx = actor.With(ctx, actor.Actor{Kind: actor.Anonymous, ID: id.Subject, Name: id.Email})
	write := func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{
			TenantID: tenant, Action: "auth.signin.failed", ReasonCode: reason,
			After: map[string]any{"issuer": id.Issuer, "subject": id.Subject, "email": id.Email},
		})
	}
	var err error
	if tenant == uuid.Nil {
		err = db.InTx(ctx, s.pool, write)
	} else {
		err = db.InTenantTx(ctx, s.pool, tenant, write)
	}
	if err != nil {
		slog.ErrorContext(ctx, "audit a failed sign-in", slog.Any("error", err))
	}
}
