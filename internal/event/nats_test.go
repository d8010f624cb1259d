package event

import (
	"testing"

	"github.com/google/uuid"
)

func TestSubject(t *testing.T) {
	tenant := uuid.MustParse("6f1c3a52-0d7e-4a55-9b8e-2f0d3c4b5a61")
	for _, tc := range []struct{ slug, typ, want string }{
		{"acme", "customer.registered", "ciam.acme.customer.registered"},
		{"fh_api_finsei_ltd_7f957f77", "customer-profile-updated", "ciam.fh_api_finsei_ltd_7f957f77.customer-profile-updated"},
		{"a.b", "config.changed", "ciam." + tenant.String() + ".config.changed"},
		{"", "config.changed", "ciam." + tenant.String() + ".config.changed"},
		{"acme", "odd type.with*wild>cards..é", "ciam.acme.odd_type.with_wild_cards._._"},
	} {
		if got := Subject("ciam", tenant, tc.slug, tc.typ); got != tc.want {
			t.Errorf("Subject(%q, %q) = %q; want %q", tc.slug, tc.typ, got, tc.want)
		}
	}
}
