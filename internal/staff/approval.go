package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Change request kinds of role changes; four-eyes applies them.
const (
	KindRoleGrant  = "staff.role.grant"
	KindRoleRevoke = "staff.role.revoke"
)

// RoleChange is the payload of a role change request.
type RoleChange struct {
	Role Role `json:"role"`
}

// RoleApplier applies role grants (Grant) or revokes under four-eyes.
type RoleApplier struct {
	Grant bool
}

type roleState struct {
	Email  string   `json:"email"`
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Roles  []string `json:"roles"`
}

func (a RoleApplier) state(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (roleState, uuid.UUID, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return roleState{}, id, apperr.New(apperr.NotFound, "no such employee")
	}
	row, err := q.StaffByID(ctx, db.StaffByIDParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return roleState{}, id, apperr.New(apperr.NotFound, "no such employee")
	}
	if err != nil {
		return roleState{}, id, err
	}
	roles, err := q.StaffRoles(ctx, db.StaffRolesParams{TenantID: tenant, StaffID: id})
	if err != nil {
		return roleState{}, id, err
	}
	return roleState{Email: row.Email, Name: row.DisplayName, Status: row.Status, Roles: roles}, id, nil
}

// Current is the employee's roles now.
func (a RoleApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	st, _, err := a.state(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

func (a RoleApplier) next(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (roleState, uuid.UUID, Role, error) {
	var rc RoleChange
	if err := json.Unmarshal(payload, &rc); err != nil || !ValidRole(string(rc.Role)) {
		return roleState{}, uuid.Nil, "", apperr.Validation(apperr.FieldError{Field: "role", Issue: fmt.Sprintf("unknown role %q", rc.Role)})
	}
	st, id, err := a.state(ctx, q, tenant, target)
	if err != nil {
		return st, id, rc.Role, err
	}
	if err := mayGrant(ctx, rc.Role); err != nil {
		return st, id, rc.Role, err
	}
	has := slices.Contains(st.Roles, string(rc.Role))
	switch {
	case a.Grant && has:
		return st, id, rc.Role, apperr.New(apperr.Conflict, "%s already has %s", st.Name, rc.Role)
	case !a.Grant && !has:
		return st, id, rc.Role, apperr.New(apperr.Conflict, "%s does not have %s", st.Name, rc.Role)
	case !a.Grant && rc.Role == TenantAdmin && actor.From(ctx).ID == id.String():
		return st, id, rc.Role, apperr.New(apperr.Conflict, "you cannot remove your own TENANT_ADMIN role; ask another administrator")
	}
	if a.Grant {
		st.Roles = append(st.Roles, string(rc.Role))
		slices.Sort(st.Roles)
	} else {
		st.Roles = slices.DeleteFunc(st.Roles, func(r string) bool { return r == string(rc.Role) })
	}
	return st, id, rc.Role, nil
}

// Check validates the change and returns the roles it would leave.
func (a RoleApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	st, _, _, err := a.next(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Apply grants or revokes the role, audited as the approving employee.
func (a RoleApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	_, id, role, err := a.next(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	action := "staff.role.revoked"
	change := func(q *db.Queries) (int64, error) {
		return q.RevokeStaffRole(ctx, db.RevokeStaffRoleParams{TenantID: tenant, StaffID: id, Role: string(role)})
	}
	if a.Grant {
		action = "staff.role.granted"
		change = func(q *db.Queries) (int64, error) {
			return q.GrantStaffRole(ctx, db.GrantStaffRoleParams{TenantID: tenant, StaffID: id, Role: string(role), GrantedBy: granterID(ctx)})
		}
	}
	if err := changeRolesInTx(ctx, q, tenant, id, action, "FOUR_EYES_APPROVED", change); err != nil {
		return nil, err
	}
	return a.Current(ctx, q, tenant, target)
}
