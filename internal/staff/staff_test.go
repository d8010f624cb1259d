package staff_test

import (
	"os"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

type fixture struct {
	tenant uuid.UUID
	svc    *staff.Service
	audit  *audit.Service
}

func setup(t *testing.T) fixture {
	t.Helper()
	pool := dbtest.Pool(t)
	tn, err := tenant.NewService(pool).Create(t.Context(), tenant.CreateParams{Slug: "s-" + uuid.NewString()[:8], Name: "T"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{tenant: tn.ID, svc: staff.NewService(pool), audit: audit.NewService(pool)}
}

func (f fixture) employee(t *testing.T, roles ...staff.Role) staff.Employee {
	t.Helper()
	e, err := f.svc.Create(t.Context(), f.tenant, staff.CreateParams{Email: uuid.NewString()[:8] + "@example.com", Name: "Emp", Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (f fixture) actions(t *testing.T, prefix string) []audit.Record {
	t.Helper()
	p, err := f.audit.List(t.Context(), f.tenant, audit.Filter{Action: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return p.Records
}

func TestSignInLinksByVerifiedEmailThenBySubject(t *testing.T) {
	f := setup(t)
	e := f.employee(t, staff.Analyst)
	id := staff.Identity{Issuer: "https://idp.example", Subject: "sub-" + uuid.NewString(), Email: e.Email, EmailVerified: true, Name: "E"}

	got, err := f.svc.SignIn(t.Context(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || !got.Can(staff.PermReviewsDecide) {
		t.Fatalf("signed in as %v with perms %v; want %v as analyst", got.ID, got.Perms, e.ID)
	}
	// Second time: the subject alone finds the employee, even if the e-mail
	// address at the provider changed.
	id.Email = "changed@example.com"
	if got, err = f.svc.SignIn(t.Context(), id, nil); err != nil || got.ID != e.ID {
		t.Fatalf("second sign-in: %v, %v", got.ID, err)
	}
	recs := f.actions(t, "auth.signin")
	if len(recs) != 2 || recs[0].ActorID != e.ID.String() {
		t.Fatalf("audit has %d auth.signin records; want 2 by the employee", len(recs))
	}
}

func TestSignInRefusals(t *testing.T) {
	f := setup(t)
	deactivated := f.employee(t, staff.Analyst)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	if err := f.svc.SetStatus(ctx, f.tenant, deactivated.ID, staff.StatusDeactivated, "TEST"); err != nil {
		t.Fatal(err)
	}
	roleless := f.employee(t)
	grouped := f.employee(t)

	tests := []struct {
		name   string
		id     staff.Identity
		reason string
	}{
		{"unknown identity", staff.Identity{Subject: "nobody", Email: "nobody@example.com", EmailVerified: true}, staff.ReasonUnknownIdentity},
		{"unverified e-mail is not linked", staff.Identity{Subject: "x1", Email: roleless.Email, EmailVerified: false}, staff.ReasonUnknownIdentity},
		{"deactivated", staff.Identity{Subject: "x2", Email: deactivated.Email, EmailVerified: true}, staff.ReasonDeactivated},
		{"no role", staff.Identity{Subject: "x3", Email: roleless.Email, EmailVerified: true}, staff.ReasonNoRole},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.id.Issuer = "https://idp.example"
			_, err := f.svc.SignIn(t.Context(), tc.id, nil)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Forbidden || e.APICode != tc.reason {
				t.Fatalf("err = %v; want Forbidden %s", err, tc.reason)
			}
		})
	}
	// Groups mapped to roles admit an employee without a role of record.
	got, err := f.svc.SignIn(t.Context(), staff.Identity{Issuer: "https://idp.example", Subject: "x4", Email: grouped.Email,
		EmailVerified: true, Groups: []string{"kyc-auditors", "other"}}, map[string]string{"kyc-auditors": "AUDITOR"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.AllRoles(), []staff.Role{staff.Auditor}) || !got.Can(staff.PermAuditRead) {
		t.Fatalf("roles %v; want AUDITOR from the groups claim", got.AllRoles())
	}
	failed := f.actions(t, "auth.signin.failed")
	if len(failed) != 2 { // deactivated and no role belong to this tenant
		t.Fatalf("tenant has %d failed sign-in records; want 2", len(failed))
	}
}

func TestRoleChangesAreAudited(t *testing.T) {
	f := setup(t)
	admin := f.employee(t, staff.TenantAdmin)
	target := f.employee(t, staff.Analyst)
	ctx := staff.WithActingRoles(actor.With(t.Context(), admin.Actor()), admin.Roles)

	if err := f.svc.GrantRole(ctx, f.tenant, target.ID, staff.Auditor, "R1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeRole(ctx, f.tenant, target.ID, staff.Analyst, "R2"); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Load(t.Context(), f.tenant, target.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Roles, []staff.Role{staff.Auditor}) {
		t.Fatalf("roles = %v; want [AUDITOR]", got.Roles)
	}
	recs := f.actions(t, "staff.role.")
	if len(recs) != 2 {
		t.Fatalf("%d role records; want 2", len(recs))
	}
	if recs[1].Action != "staff.role.granted" || recs[1].ActorID != admin.ID.String() || recs[1].ReasonCode != "R1" ||
		string(recs[1].Before) != `{"roles": ["ANALYST"]}` || string(recs[1].After) != `{"roles": ["ANALYST", "AUDITOR"]}` {
		t.Errorf("grant record = %+v", recs[1])
	}

	// A tenant admin cannot make a platform operator, nor remove their own
	// administrator role.
	if err := f.svc.GrantRole(ctx, f.tenant, target.ID, staff.PlatformOperator, ""); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("tenant admin granting PLATFORM_OPERATOR: err = %v; want Forbidden", err)
	}
	if err := f.svc.RevokeRole(ctx, f.tenant, admin.ID, staff.TenantAdmin, ""); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("revoking own TENANT_ADMIN: err = %v; want Conflict", err)
	}
	// Another tenant's employee is not found.
	other := setup(t)
	if err := f.svc.GrantRole(ctx, other.tenant, target.ID, staff.Auditor, ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("granting in the wrong tenant: err = %v; want NotFound", err)
	}
}

func TestDeactivatedEmployeeCannotLoad(t *testing.T) {
	f := setup(t)
	e := f.employee(t, staff.Support)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System})
	if err := f.svc.SetStatus(ctx, f.tenant, e.ID, staff.StatusDeactivated, "LEFT"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Load(t.Context(), f.tenant, e.ID, nil); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("Load of a deactivated employee: err = %v; want Forbidden", err)
	}
	var n int
	err := db.InTenantTx(t.Context(), dbtest.Pool(t), f.tenant, func(q *db.Queries) error {
		rows, err := q.ListAudit(t.Context(), db.ListAuditParams{TenantID: f.tenant, Action: "staff.deactivated", MaxRows: 10})
		n = len(rows)
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("staff.deactivated records = %d (%v); want 1", n, err)
	}
}

func TestCreateValidation(t *testing.T) {
	f := setup(t)
	existing := f.employee(t, staff.Analyst)
	tests := []struct {
		name  string
		p     staff.CreateParams
		field string
	}{
		{"bad email", staff.CreateParams{Email: "not-an-email", Name: "X"}, "email"},
		{"no name", staff.CreateParams{Email: "ok@example.com", Name: ""}, "name"},
		{"unknown role", staff.CreateParams{Email: "ok2@example.com", Name: "X", Roles: []staff.Role{"BOSS"}}, "roles"},
		{"duplicate", staff.CreateParams{Email: existing.Email, Name: "X"}, "email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(t.Context(), f.tenant, tc.p)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || e.Fields[0].Field != tc.field {
				t.Fatalf("err = %v; want invalid %s", err, tc.field)
			}
		})
	}
}
