package kyc

import (
	"strings"
	"testing"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

func TestAgeBucket(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		waited time.Duration
		want   string
	}{
		{0, AgeFresh},
		{3*time.Hour + 59*time.Minute, AgeFresh},
		{4 * time.Hour, AgeAging},
		{23 * time.Hour, AgeAging},
		{24 * time.Hour, AgeOverdue},
		{72 * time.Hour, AgeOverdue},
	}
	for _, tc := range tests {
		if got := AgeBucket(now.Add(-tc.waited), now); got != tc.want {
			t.Errorf("waited %s: %s; want %s", tc.waited, got, tc.want)
		}
	}
}

func TestReviewInputValidation(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ok := func(in ReviewInput) ReviewInput {
		if in.Decision == "" {
			in.Decision = DecisionApprove
		}
		if in.Notes == "" {
			in.Notes = "checked"
		}
		return in
	}
	tests := []struct {
		name   string
		in     ReviewInput
		fields string // the fields in error, joined; "" for none
	}{
		{"a plain approval", ok(ReviewInput{}), ""},
		{"no notes", ReviewInput{Decision: DecisionReject, Notes: " \n "}, "reviewerNotes"},
		{"notes too long", ok(ReviewInput{Notes: strings.Repeat("é", MaxReviewerNotes+1)}), "reviewerNotes"},
		{"an unknown decision", ok(ReviewInput{Decision: "ESCALATE"}), "decision"},
		{"a check in the future", ok(ReviewInput{AdditionalChecks: []AdditionalCheckInput{{Type: "EDD", Result: "OK", PerformedAt: now.Add(time.Hour).Format(time.RFC3339)}}}), "additionalChecks[0].performedAt"},
		{"a check with a bad time", ok(ReviewInput{AdditionalChecks: []AdditionalCheckInput{{Type: "EDD", Result: "OK", PerformedAt: "yesterday"}}}), "additionalChecks[0].performedAt"},
		{"a check without type or result", ok(ReviewInput{AdditionalChecks: []AdditionalCheckInput{{Type: "EDD", Result: "OK"}, {}}}), "additionalChecks[1].type,additionalChecks[1].result"},
		{"limits as decimals", ok(ReviewInput{RiskMitigation: &RiskMitigationInput{DailyLimit: "5000", RequiresApprovalAbove: "999.99"}}), ""},
		{"a limit in exponent form", ok(ReviewInput{RiskMitigation: &RiskMitigationInput{DailyLimit: "5e3"}}), "riskMitigation.transactionLimits.dailyLimit"},
		{"a zero limit", ok(ReviewInput{RiskMitigation: &RiskMitigationInput{DailyLimit: "0"}}), "riskMitigation.transactionLimits.dailyLimit"},
		{"a huge limit", ok(ReviewInput{RiskMitigation: &RiskMitigationInput{DailyLimit: "10000000000000000"}}), "riskMitigation.transactionLimits.dailyLimit"},
		{"approval above the daily limit", ok(ReviewInput{RiskMitigation: &RiskMitigationInput{DailyLimit: "10", RequiresApprovalAbove: "10.01"}}), "riskMitigation.transactionLimits.requiresApprovalAbove"},
		{"mitigation on more information", ok(ReviewInput{Decision: DecisionMoreInfo, RiskMitigation: &RiskMitigationInput{EnhancedMonitoring: true}}), "riskMitigation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := tc.in.validate(now)
			if got := fieldsOf(err); strings.Join(got, ",") != tc.fields {
				t.Fatalf("fields in error %v (%v); want %q", fieldsOf(err), err, tc.fields)
			}
		})
	}
}

func TestRiskMitigationStoredRoundTrip(t *testing.T) {
	_, _, rm, err := ReviewInput{Decision: DecisionApprove, Notes: "ok",
		RiskMitigation: &RiskMitigationInput{EnhancedMonitoring: true, DailyLimit: "5000", RequiresApprovalAbove: "1000.5"}}.validate(time.Now())
	if err != nil || rm == nil {
		t.Fatal(err)
	}
	if got := rm.TransactionLimits.DailyLimit.StringFixed(2); got != "5000.00" {
		t.Errorf("daily limit %s", got)
	}
	if got := rm.TransactionLimits.RequiresApprovalAbove.StringFixed(2); got != "1000.50" {
		t.Errorf("approval above %s", got)
	}
}

func fieldsOf(err error) []string {
	var out []string
	if e, ok := apperr.As(err); ok {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}
