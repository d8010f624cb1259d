// Package staff owns the portal's users: employees, their roles and
// permissions, and the link between an OpenID Connect identity and an
// employee record.
package staff

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/metrics"
)

// Employee statuses.
const (
	StatusActive      = "ACTIVE"
	StatusDeactivated = "DEACTIVATED"
)

// Employee is a signed-in or listed employee with the roles in force.
type Employee struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Email       string
	Name        string
	Status      string
	LastLoginAt *time.Time
	CreatedAt   time.Time
	// Roles granted on the employee record.
	Roles []Role
	// GroupRoles come from the IdP's groups claim at sign-in.
	GroupRoles []Role
	Perms      Permissions
}

// AllRoles is Roles and GroupRoles together, without repeats.
func (e Employee) AllRoles() []Role {
	out := slices.Clone(e.Roles)
	for _, r := range e.GroupRoles {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// Can reports whether the employee holds p.
func (e Employee) Can(p Permission) bool { return e.Perms.Has(p) }

// Actor is the employee as the audit trail names them.
func (e Employee) Actor() actor.Actor {
	return actor.Actor{Kind: actor.Employee, ID: e.ID.String(), Name: e.Name + " <" + e.Email + ">", TenantID: e.TenantID}
}

// Service manages employees.
type Service struct {
	pool *pgxpool.Pool
	// Metrics counts failed sign-ins; nil counts nothing.
	Metrics *metrics.Metrics
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// Load returns the employee with the roles in force now. groupRoles are the
// roles the IdP's groups granted at sign-in. A deactivated employee is
// Forbidden, an unknown one NotFound.
func (s *Service) Load(ctx context.Context, tenant, id uuid.UUID, groupRoles []Role) (Employee, error) {
	var e Employee
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		roles, err := q.StaffRoles(ctx, db.StaffRolesParams{TenantID: tenant, StaffID: id})
		if err != nil {
			return err
		}
		e = employeeFrom(row, roles)
		return nil
	})
	if db.IsNotFound(err) {
		return Employee{}, apperr.New(apperr.NotFound, "no such employee")
	}
	if err != nil {
		return Employee{}, fmt.Errorf("staff: load: %w", err)
	}
	if e.Status != StatusActive {
		return Employee{}, apperr.New(apperr.Forbidden, "this employee account is deactivated")
	}
	e.GroupRoles = groupRoles
	e.Perms = PermissionsOf(e.AllRoles())
	return e, nil
}

func employeeFrom(row db.Staff, roles []string) Employee {
	e := Employee{ID: row.ID, TenantID: row.TenantID, Email: row.Email, Name: row.DisplayName, Status: row.Status,
		LastLoginAt: row.LastLoginAt, CreatedAt: row.CreatedAt}
	for _, r := range roles {
		e.Roles = append(e.Roles, Role(r))
	}
	return e
}

// List returns the tenant's employees.
func (s *Service) List(ctx context.Context, tenant uuid.UUID) ([]Employee, error) {
	var out []Employee
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListStaff(ctx, tenant)
		for _, r := range rows {
			e := employeeFrom(db.Staff{ID: r.ID, TenantID: r.TenantID, Email: r.Email, DisplayName: r.DisplayName,
				Status: r.Status, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt}, r.Roles)
			e.Perms = PermissionsOf(e.Roles)
			out = append(out, e)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", err)
	}
	return out, nil
}

// CreateParams describes a new employee.
type CreateParams struct {
	Email string
	Name  string
	Roles []Role
}

// Create adds an employee to tenant. The acting employee in ctx must be
// allowed to grant each role (see GrantRole).
func (s *Service) Create(ctx context.Context, tenant uuid.UUID, p CreateParams) (Employee, error) {
	var e Employee
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		e, err = CreateInTx(ctx, q, tenant, p)
		return err
	})
	return e, err
}

// CreateInTx is Create inside the caller's transaction, for flows that
// make an employee together with something else (a tenant and its first
// administrator).
func CreateInTx(ctx context.Context, q *db.Queries, tenant uuid.UUID, p CreateParams) (Employee, error) {
	p.Email = strings.TrimSpace(p.Email)
	p.Name = strings.TrimSpace(p.Name)
	var fe apperr.Fields
	if addr, err := mail.ParseAddress(p.Email); err != nil || addr.Address != p.Email || len(p.Email) > 254 {
		fe.Add("email", "enter an e-mail address such as ana@example.com")
	}
	if p.Name == "" || len([]rune(p.Name)) > 120 {
		fe.Add("name", "enter a name of 1 to 120 characters")
	}
	for _, r := range p.Roles {
		if !ValidRole(string(r)) {
			fe.Add("roles", "unknown role %q", r)
		}
	}
	if err := fe.Err(); err != nil {
		return Employee{}, err
	}
	if err := mayGrant(ctx, p.Roles...); err != nil {
		return Employee{}, err
	}
	id := uuid.New()
	row, err := q.CreateStaff(ctx, db.CreateStaffParams{ID: id, TenantID: tenant, Email: p.Email, DisplayName: p.Name})
	if db.IsUniqueViolation(err, "") {
		return Employee{}, apperr.Validation(apperr.FieldError{Field: "email", Issue: "an employee with this e-mail address already exists"})
	}
	if err != nil {
		return Employee{}, fmt.Errorf("staff: create: %w", err)
	}
	roles := []string{}
	for _, r := range p.Roles {
		if _, err := q.GrantStaffRole(ctx, db.GrantStaffRoleParams{TenantID: tenant, StaffID: id, Role: string(r), GrantedBy: granterID(ctx)}); err != nil {
			return Employee{}, fmt.Errorf("staff: create: grant: %w", err)
		}
		roles = append(roles, string(r))
	}
	err = audit.Write(ctx, q, audit.Entry{
		TenantID: tenant, Action: "staff.created", EntityType: "staff", EntityID: id.String(),
		After: map[string]any{"email": row.Email, "name": row.DisplayName, "roles": roles},
	})
	if err != nil {
		return Employee{}, err
	}
	return employeeFrom(row, roles), nil
}

// mayGrant refuses roles the acting employee may not hand out: only a
// platform operator makes platform operators.
func mayGrant(ctx context.Context, roles ...Role) error {
	a := actor.From(ctx)
	if a.Kind != actor.Employee {
		return nil // commands run by the operator of the installation
	}
	if slices.Contains(roles, PlatformOperator) && !actorHolds(ctx, PlatformOperator) {
		return apperr.New(apperr.Forbidden, "only a platform operator may grant PLATFORM_OPERATOR")
	}
	return nil
}

type rolesKey struct{}

// WithActingRoles records the acting employee's roles in ctx, so that
// grants can be checked against them.
func WithActingRoles(ctx context.Context, roles []Role) context.Context {
	return context.WithValue(ctx, rolesKey{}, roles)
}

func actorHolds(ctx context.Context, r Role) bool {
	roles, _ := ctx.Value(rolesKey{}).([]Role)
	return slices.Contains(roles, r)
}

func granterID(ctx context.Context) *uuid.UUID {
	a := actor.From(ctx)
	if a.Kind != actor.Employee {
		return nil
	}
	id, err := uuid.Parse(a.ID)
	if err != nil {
		return nil
	}
	return &id
}

// GrantRole gives employee id the role, with an audit record.
func (s *Service) GrantRole(ctx context.Context, tenant, id uuid.UUID, role Role, reason string) error {
	if !ValidRole(string(role)) {
		return apperr.Validation(apperr.FieldError{Field: "role", Issue: fmt.Sprintf("unknown role %q", role)})
	}
	if err := mayGrant(ctx, role); err != nil {
		return err
	}
	return s.changeRoles(ctx, tenant, id, "staff.role.granted", reason, func(q *db.Queries) (int64, error) {
		return q.GrantStaffRole(ctx, db.GrantStaffRoleParams{TenantID: tenant, StaffID: id, Role: string(role), GrantedBy: granterID(ctx)})
	})
}

// RevokeRole takes the role from employee id, with an audit record. An
// employee cannot take TENANT_ADMIN from themselves: that is how tenants
// lose their last administrator.
func (s *Service) RevokeRole(ctx context.Context, tenant, id uuid.UUID, role Role, reason string) error {
	if !ValidRole(string(role)) {
		return apperr.Validation(apperr.FieldError{Field: "role", Issue: fmt.Sprintf("unknown role %q", role)})
	}
	if a := actor.From(ctx); a.Kind == actor.Employee && a.ID == id.String() && role == TenantAdmin {
		return apperr.New(apperr.Conflict, "you cannot remove your own TENANT_ADMIN role; ask another administrator")
	}
	if err := mayGrant(ctx, role); err != nil {
		return err
	}
	return s.changeRoles(ctx, tenant, id, "staff.role.revoked", reason, func(q *db.Queries) (int64, error) {
		return q.RevokeStaffRole(ctx, db.RevokeStaffRoleParams{TenantID: tenant, StaffID: id, Role: string(role)})
	})
}

func (s *Service) changeRoles(ctx context.Context, tenant, id uuid.UUID, action, reason string, change func(q *db.Queries) (int64, error)) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return changeRolesInTx(ctx, q, tenant, id, action, reason, change)
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such employee")
	}
	if err != nil {
		return fmt.Errorf("staff: %s: %w", action, err)
	}
	return nil
}

func changeRolesInTx(ctx context.Context, q *db.Queries, tenant, id uuid.UUID, action, reason string, change func(q *db.Queries) (int64, error)) error {
	if _, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: id}); err != nil {
		return err
	}
	before, err := q.StaffRoles(ctx, db.StaffRolesParams{TenantID: tenant, StaffID: id})
	if err != nil {
		return err
	}
	n, err := change(q)
	if err != nil || n == 0 {
		return err // nothing changed: nothing to audit
	}
	after, err := q.StaffRoles(ctx, db.StaffRolesParams{TenantID: tenant, StaffID: id})
	if err != nil {
		return err
	}
	err = audit.Write(ctx, q, audit.Entry{
		TenantID: tenant, Action: action, EntityType: "staff", EntityID: id.String(), ReasonCode: reason,
		Before: map[string]any{"roles": before}, After: map[string]any{"roles": after},
	})
	if err != nil || action != "staff.role.revoked" {
		return err
	}
	// A role taken away ends the employee's sessions: they sign in again
	// with what they still hold.
	return endSessionsInTx(ctx, q, tenant, id, SessionRoleRemoved)
}

// SetStatus deactivates or reactivates employee id, with an audit record.
// Deactivating ends the employee's portal sessions at once.
func (s *Service) SetStatus(ctx context.Context, tenant, id uuid.UUID, status, reason string) error {
	if status != StatusActive && status != StatusDeactivated {
		return apperr.Validation(apperr.FieldError{Field: "status", Issue: "must be ACTIVE or DEACTIVATED"})
	}
	if a := actor.From(ctx); a.Kind == actor.Employee && a.ID == id.String() && status == StatusDeactivated {
		return apperr.New(apperr.Conflict, "you cannot deactivate yourself")
	}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		before, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if before.Status == status {
			return nil
		}
		if _, err := q.SetStaffStatus(ctx, db.SetStaffStatusParams{TenantID: tenant, ID: id, Status: status}); err != nil {
			return err
		}
		action := "staff.deactivated"
		if status == StatusActive {
			action = "staff.reactivated"
		}
		err = audit.Write(ctx, q, audit.Entry{
			TenantID: tenant, Action: action, EntityType: "staff", EntityID: id.String(), ReasonCode: reason,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": status},
		})
		if err != nil || status == StatusActive {
			return err
		}
		return endSessionsInTx(ctx, q, tenant, id, SessionDeactivated)
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such employee")
	}
	if err != nil {
		return fmt.Errorf("staff: set status: %w", err)
	}
	return nil
}
