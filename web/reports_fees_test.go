package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/staff"
)

// The product quotes fees and records none as charged: the fees extract
// is the tariff, named so, with every rule's price as the quote uses it.
func TestReportFeeRulesExtract(t *testing.T) {
	h := newHarness(t)
	_, admin := h.signIn(staff.TenantAdmin)
	transfer := h.feeRule(catalog.FeeRuleSpec{Name: "Transfers in pounds", TransactionType: "TRANSFER", Country: "GB", Currency: "GBP",
		Fixed: d("0.50"), Percentage: d("1.25"), Minimum: nd("1"), Maximum: nd("25"),
		Tiers: []catalog.Tier{{From: d("0"), UpTo: nd("1000"), Fixed: d("0.50"), Percentage: d("1.25")},
			{From: d("1000"), UpTo: decimal.NullDecimal{}, Fixed: d("0"), Percentage: d("0.9")}}})
	h.feeRule(catalog.FeeRuleSpec{Name: "Old euro cash-out", TransactionType: "CASH_OUT", Currency: "EUR", Fixed: d("2"), Status: catalog.FeeInactive})

	d0 := doc(t, h.get("/reports", admin))
	if d0.Find(`[data-testid="report-definition"][data-id="fee_rules"]`).Length() != 1 {
		t.Fatal("the fees extract is not listed")
	}
	if got := text(d0, `[data-testid="report-definition"][data-id="fee_rules"]`); !strings.Contains(got, "not recorded as charged") {
		t.Errorf("the extract does not say fees are only quoted: %q", got)
	}

	rows := readReportCSV(t, h.download(admin, h.runReport(admin, "fee_rules", url.Values{"format": {"CSV"}, "currency": {"GBP"}})))
	if len(rows) != 2 {
		t.Fatalf("rows %v; want the header and the pound rule", rows)
	}
	r := rows[1]
	want := map[string]string{"Fee rule id": transfer, "Name": "Transfers in pounds", "Transaction type": "TRANSFER", "Country": "GB",
		"Currency": "GBP", "Fixed part": "0.5", "Percentage": "1.25", "Minimum fee": "1", "Maximum fee": "25", "Status": "ACTIVE",
		"Tiers (from-up to: fixed + %)": "0-1000: 0.5 + 1.25%; 1000-: 0 + 0.9%"}
	for header, v := range want {
		i := column(rows, header)
		if i < 0 {
			t.Errorf("no column %q", header)
			continue
		}
		got := r[i]
		if header != "Fee rule id" {
			got = decimalish(got)
		}
		if got != v {
			t.Errorf("%s = %q; want %q", header, r[i], v)
		}
	}

	all := readReportCSV(t, h.download(admin, h.runReport(admin, "fee_rules", url.Values{"format": {"CSV"}, "status": {"INACTIVE"}})))
	if len(all) != 2 || all[1][column(all, "Name")] != "Old euro cash-out" {
		t.Errorf("inactive rules: %v", all)
	}
	resp := h.post("/reports/fee_rules/run", url.Values{"format": {"CSV"}, "currency": {"pounds"}}, admin)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad currency: %d", resp.StatusCode)
	}
	if text(doc(t, resp), `[data-testid="error-run-currency"]`) == "" {
		t.Error("the bad currency is not named beside its field")
	}
}

// decimalish reads numbers as their shortest form (0.5000 is 0.5), in
// every part of a tiers text too.
func decimalish(s string) string {
	out, num := []byte{}, []byte{}
	flush := func() {
		if len(num) > 0 {
			if d, err := decimal.NewFromString(string(num)); err == nil {
				out = append(out, d.String()...)
			} else {
				out = append(out, num...)
			}
			num = num[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= '0' && c <= '9') || (c == '.' && len(num) > 0) {
			num = append(num, c)
			continue
		}
		flush()
		out = append(out, c)
	}
	flush()
	return string(out)
}
