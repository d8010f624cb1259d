package pii

import (
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/staff"
)

// The matrix agrees with the customers.reveal permission: a role sees the
// sensitive values in full exactly when it may reveal them on the
// customer's page.
func TestMatrixFollowsTheRevealPermission(t *testing.T) {
	for _, r := range staff.Roles {
		v := For([]staff.Role{r})
		may := staff.PermissionsOf([]staff.Role{r}).Has(staff.PermCustomersPII)
		for _, f := range sensitive {
			if got := v.Full(f); got != may {
				t.Errorf("%s sees %s in full: %v; customers.reveal: %v", r, f, got, may)
			}
		}
		if !v.Full(Name) {
			t.Errorf("%s does not see names", r)
		}
		if v.Unrevealed().MayReveal() {
			t.Errorf("%s: the unrevealed view reveals", r)
		}
	}
	// Several roles: the most trusted decides.
	if !For([]staff.Role{staff.Analyst, staff.SeniorReviewer}).Full(Email) {
		t.Error("an analyst who is also a senior reviewer sees e-mails masked")
	}
}

func TestMasking(t *testing.T) {
	v := For([]staff.Role{staff.Analyst})
	tests := []struct {
		f          Field
		in, masked string
	}{
		{Email, "quinn.marlow@example.org", "q•••@example.org"},
		{Phone, "+447700900731", "•••• 0731"},
		{Account, "GB33BUKB20201555555555", "•••• 5555"},
		{DocumentNumber, "QX7731245", "•••• 1245"},
		{DateOfBirth, "1977-03-21", "••••-••-••"},
		{Income, "85000.00", "••••"},
		{Name, "Quinn Marlow", "Quinn Marlow"},
		{Email, "", ""},
	}
	senior := For([]staff.Role{staff.SeniorReviewer})
	for _, tc := range tests {
		if got := v.Show(tc.f, tc.in); got != tc.masked {
			t.Errorf("analyst %s %q = %q; want %q", tc.f, tc.in, got, tc.masked)
		}
		if got := senior.Show(tc.f, tc.in); got != tc.in {
			t.Errorf("senior %s %q = %q; want it in full", tc.f, tc.in, got)
		}
	}
	if got := v.AddressOf("12 Quillon Row, Leeds, GB", "GB"); got != "••••, GB" {
		t.Errorf("address %q", got)
	}
}

func TestTextMasksLearnedValuesAnywhere(t *testing.T) {
	tx := For([]staff.Role{staff.Auditor}).Text()
	tx.Learn(DocumentNumber, "QX7731245")
	tx.Learn(DateOfBirth, "1977-03-21")
	tx.Learn(Email, "quinn.marlow@example.org")
	tx.Learn(Address, "12 Quillon Row")
	tx.Learn(Name, "Quinn Marlow") // names are shown: not learned
	in := "P<GBRMARLOW<<QUINN\nqx7731245<7GBR770321 born 21/03/1977 at 12 QUILLON ROW, mail Quinn.Marlow@example.org"
	got := tx.Mask(in)
	for _, leak := range []string{"7731245", "770321", "21/03/1977", "QUILLON", "marlow@"} {
		if strings.Contains(strings.ToLower(got), strings.ToLower(leak)) {
			t.Errorf("masked text %q still holds %q", got, leak)
		}
	}
	if !strings.Contains(got, "MARLOW<<QUINN") || !strings.Contains(got, "•••• 1245") {
		t.Errorf("masked text %q", got)
	}
	if f := tx.Fixed("QX7731245<7GBR770321"); f != "•••••1245<7GBR••••••" {
		t.Errorf("fixed %q", f)
	}
	if got := tx.Value("identity.address.street", "Quillon Row"); got != "••••" {
		t.Errorf("street %q", got)
	}
	if got := tx.Value("identity.dateOfBirth", "1977-03-21"); got != "••••-••-••" {
		t.Errorf("date of birth %q", got)
	}
	if got := tx.Value("identity.address.country", "GB"); got != "GB" {
		t.Errorf("country %q", got)
	}
	var none *Text
	if none.Mask("x") != "x" {
		t.Error("a nil Text changed text")
	}
	full := For([]staff.Role{staff.SeniorReviewer}).Text()
	full.Learn(DocumentNumber, "QX7731245")
	if full.Mask(in) != in {
		t.Error("a senior reviewer's text was masked")
	}
}
