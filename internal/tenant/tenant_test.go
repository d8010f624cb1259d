package tenant_test

import (
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

func TestResolveBySlugAndUUID(t *testing.T) {
	svc := tenant.NewService(dbtest.Pool(t))
	slug := "fh_api_" + uuid.NewString()[:8]
	created, err := svc.Create(t.Context(), tenant.CreateParams{Slug: slug, Name: "Finsei"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{slug, created.ID.String(), " " + slug + " "} {
		got, err := svc.Resolve(t.Context(), ref)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", ref, err)
		}
		if got.ID != created.ID {
			t.Errorf("Resolve(%q) = %v; want %v", ref, got.ID, created.ID)
		}
	}
	for _, ref := range []string{"", "nope", uuid.NewString()} {
		_, err := svc.Resolve(t.Context(), ref)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.NotFound || e.APICode != "TENANT_NOT_FOUND" {
			t.Errorf("Resolve(%q) err = %v; want TENANT_NOT_FOUND", ref, err)
		}
	}
}

func TestCreateValidates(t *testing.T) {
	svc := tenant.NewService(dbtest.Pool(t))
	taken := "taken-" + uuid.NewString()[:8]
	if _, err := svc.Create(t.Context(), tenant.CreateParams{Slug: taken, Name: "A"}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		p     tenant.CreateParams
		field string
	}{
		{"bad slug", tenant.CreateParams{Slug: "Has Spaces", Name: "x"}, "slug"},
		{"uuid slug", tenant.CreateParams{Slug: uuid.NewString(), Name: "x"}, "slug"},
		{"no name", tenant.CreateParams{Slug: "ok-" + uuid.NewString()[:6], Name: " "}, "name"},
		{"bad zone", tenant.CreateParams{Slug: "ok-" + uuid.NewString()[:6], Name: "x", TimeZone: "Mars/Olympus"}, "timeZone"},
		{"taken slug", tenant.CreateParams{Slug: taken, Name: "x"}, "slug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Create(t.Context(), tc.p, nil)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Fatalf("err = %v; want a validation error on %s", err, tc.field)
			}
		})
	}
}
