package customer

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

func TestLimitOverrideRules(t *testing.T) {
	units := map[string]int32{"GBP": 2, "JPY": 0, "KWD": 3}
	a := LimitsApplier{MinorUnits: func(c string) (int32, bool) { n, ok := units[c]; return n, ok }}
	wallet := func(cur, status string) db.Wallet {
		src := "RISK_MITIGATION"
		return db.Wallet{ID: uuid.New(), Status: status, Currency: &cur, LimitsSource: &src,
			DailyLimit:            decimal.NullDecimal{Decimal: decimal.RequireFromString("5000"), Valid: true},
			RequiresApprovalAbove: decimal.NullDecimal{Decimal: decimal.RequireFromString("1000.5"), Valid: true}}
	}
	tests := []struct {
		name                 string
		currency, status     string
		daily, above, reason string
		want                 map[string]string // field → problem; nil when valid
		code                 apperr.Code       // for errors without fields
	}{
		{name: "valid", currency: "GBP", daily: "2500", above: "750.5", reason: "asked"},
		{name: "zero blocks sending", currency: "GBP", daily: "0", above: "0", reason: "fraud"},
		{name: "trailing zeros are not decimals", currency: "JPY", daily: "100000.00", above: "5000", reason: "r"},
		{name: "missing", currency: "GBP", daily: " ", above: "", reason: " ",
			want: map[string]string{"dailyLimit": "is required", "requiresApprovalAbove": "is required", "reason": "is required: say why, for the audit trail"}},
		{name: "negative", currency: "GBP", daily: "-1", above: "0", reason: "r", want: map[string]string{"dailyLimit": "must be zero or more"}},
		{name: "not amounts", currency: "GBP", daily: "1e3", above: "1,000", reason: "r",
			want: map[string]string{"dailyLimit": "must be an amount such as 2500.00", "requiresApprovalAbove": "must be an amount such as 2500.00"}},
		{name: "too many decimals", currency: "GBP", daily: "10.001", above: "1", reason: "r", want: map[string]string{"dailyLimit": "must have at most 2 decimal places"}},
		{name: "a currency without decimals", currency: "JPY", daily: "100.5", above: "1", reason: "r", want: map[string]string{"dailyLimit": "must be a whole amount: JPY has no decimals"}},
		{name: "three-decimal currency kept to two", currency: "KWD", daily: "1.234", above: "1", reason: "r", want: map[string]string{"dailyLimit": "must have at most 2 decimal places"}},
		{name: "too large", currency: "GBP", daily: "10000000000000000", above: "1", reason: "r", want: map[string]string{"dailyLimit": "must be less than 10,000,000,000,000,000"}},
		{name: "approval above the daily limit", currency: "GBP", daily: "100", above: "100.01", reason: "r",
			want: map[string]string{"requiresApprovalAbove": "must not be more than the daily limit"}},
		{name: "the limits it has", currency: "GBP", daily: "5000.00", above: "1000.50", reason: "r", code: apperr.Conflict},
		{name: "a frozen wallet", currency: "GBP", status: "FROZEN", daily: "1", above: "1", reason: "r", code: apperr.Conflict},
		{name: "an inactive wallet", currency: "GBP", status: "INACTIVE", daily: "1", above: "1", reason: "r", code: apperr.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == "" {
				status = WalletActive
			}
			payload, _ := json.Marshal(LimitsRequest{DailyLimit: tc.daily, RequiresApprovalAbove: tc.above, Reason: tc.reason})
			after, daily, above, err := a.next(wallet(tc.currency, status), payload)
			if tc.code != "" {
				if apperr.CodeOf(err) != tc.code {
					t.Fatalf("err = %v; want code %s", err, tc.code)
				}
				return
			}
			got := map[string]string{}
			if e, ok := apperr.As(err); ok {
				for _, f := range e.Fields {
					got[f.Field] = f.Issue
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if len(got) > 0 {
					t.Fatalf("errors %v; want none", got)
				}
				if *after.DailyLimit != daily.StringFixed(2) || *after.RequiresApprovalAbove != above.StringFixed(2) || *after.LimitsSource != LimitsOverride {
					t.Fatalf("after = %+v", after)
				}
				return
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("errors\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}
