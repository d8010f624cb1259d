package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/currency"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/components"
	feesv "github.com/ciamhq/ciam/views/fees"
)

// Fee rules are four-eyes changes: the form proposes a rule, another
// employee approves it on /approvals, and only then does it exist or
// change.

const (
	feesPath     = "/config/fees"
	feePageSize  = 50
	minTierRows  = 3
	freeTierRows = 2
)

// Likely codes, offered as suggestions; any code of the right shape is
// accepted.
var (
	feeTransactionTypes = []string{"TRANSFER", "P2P", "REMITTANCE", "CASH_IN", "CASH_OUT", "BILL_PAYMENT", "MERCHANT_PAYMENT", "TOP_UP", "WITHDRAWAL"}
	feeChannels         = []string{"MOBILE", "WEB", "USSD", "API", "BRANCH", "AGENT", "POS", "ATM"}
)

func (s *server) feeSuggestions(r *http.Request, tenant uuid.UUID) feesv.Suggestions {
	sg := feesv.Suggestions{TransactionTypes: feeTransactionTypes, Channels: feeChannels}
	if cats, err := s.Customers.Hierarchy(r.Context(), tenant); err == nil {
		for _, c := range cats {
			sg.Categories = append(sg.Categories, c.Name)
		}
	}
	return sg
}

func offsetOf(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	return max(n, 0)
}

func pendingViews(reqs []approval.Request) []components.Pending {
	out := make([]components.Pending, 0, len(reqs))
	for _, p := range reqs {
		out = append(out, components.Pending{ID: p.ID.String(), Title: p.Title})
	}
	return out
}

// tierText is a tier as people read it, its amounts in the currency's
// minor units: "0.00 – 1000.00 GBP: 0.50 GBP + 1.25 %", "from 1000.00
// GBP: 0.00 GBP + 0.9 %".
func tierText(t catalog.Tier, cur string) string {
	if cur == "" {
		return catalog.TierText(t) // a rule of any currency: as it is kept
	}
	span := "from " + money(t.From, cur)
	if t.UpTo.Valid {
		span = currency.Digits(t.From, cur) + " – " + money(t.UpTo.Decimal, cur)
	}
	return fmt.Sprintf("%s: %s + %s %%", span, money(t.Fixed, cur), t.Percentage.String())
}

// amountText shows a rule's amount in its currency's decimals, or as
// stored for a rule of any currency.
func amountText(v string, currency string) string {
	if currency == "" || v == "" {
		return v
	}
	if d, err := decimal.NewFromString(v); err == nil {
		return catalog.FormatAmount(d, currency)
	}
	return v
}

func (s *server) handleFeeList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		l := feesv.List{
			Filter: feesv.Filter{Q: strings.TrimSpace(q.Get("q")), TransactionType: strings.ToUpper(strings.TrimSpace(q.Get("type"))),
				Currency: q.Get("currency"), Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
				Channel: strings.ToUpper(strings.TrimSpace(q.Get("channel"))), State: q.Get("state"), Sort: q.Get("sort")},
			Errors: map[string]string{}, CanEdit: emp.Can(staff.PermConfigEdit), Currencies: catalog.Currencies(),
			Sorts: []components.Option{{Value: "", Label: "Transaction type"}, {Value: "name", Label: "Name (A–Z)"},
				{Value: "effective", Label: "Latest effective first"}, {Value: "updated", Label: "Recently changed"}},
			Quote: feesv.QuoteForm{Currency: "GBP", Errors: map[string]string{}}, Suggest: s.feeSuggestions(r, emp.TenantID), Loc: t.Location(),
		}
		for _, st := range catalog.FeeStates {
			l.States = append(l.States, components.Option{Value: st, Label: feesv.StateLabel(st)})
		}
		offset, size := offsetOf(r), pageSize(q, feePageSize)
		status := http.StatusOK
		page, err := s.Catalog.FeeRules(r.Context(), emp.TenantID, catalog.FeeFilter{Query: l.Filter.Q, TransactionType: l.Filter.TransactionType,
			Currency: l.Filter.Currency, Country: l.Filter.Country, Channel: l.Filter.Channel, State: l.Filter.State, Sort: l.Filter.Sort,
			Limit: size, Offset: offset})
		if fieldErrors(err, l.Errors) {
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		ids := make([]string, 0, len(page.Rows))
		for _, fr := range page.Rows {
			ids = append(ids, fr.ID.String())
		}
		pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, catalog.FeeTarget, ids)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		created, err := s.Approvals.List(r.Context(), emp.TenantID, approval.StatusPending, catalog.KindFeeCreate, 50, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l.PendingNew = pendingViews(created.Requests)
		for _, fr := range page.Rows {
			l.Rows = append(l.Rows, feeRow(fr, pendingViews(pending[fr.ID.String()])))
		}
		l.Pager = offsetPager(r.URL, page.Total, offset, len(page.Rows), size)
		l.Pager.Sizes = sizeLinks(r.URL, size, feePageSize)
		l.Pager.ExportURL = exportURL(r.URL, "/config/fees/export.csv")
		l.Pager.FirstLabel, l.Pager.NextLabel = "First page", "Next →"
		s.page(w, r, status, "Fees and charges", "fees", feesv.ListPage(l))
	})
}

func feeRow(fr catalog.FeeRule, pending []components.Pending) feesv.Row {
	row := feesv.Row{ID: fr.ID.String(), Name: fr.Name, Dimensions: fr.Dimensions(), Currency: fr.Currency,
		Fixed: amountText(fr.Fixed.String(), fr.Currency), Percentage: fr.Percentage.String(), Minimum: "—", Maximum: "—",
		Tiers: fr.TierCount, EffectiveFrom: fr.EffectiveFrom, State: fr.State, Pending: pending}
	if fr.Minimum.Valid {
		row.Minimum = amountText(fr.Minimum.Decimal.String(), fr.Currency)
	}
	if fr.Maximum.Valid {
		row.Maximum = amountText(fr.Maximum.Decimal.String(), fr.Currency)
	}
	return row
}

// handleFeeQuotePreview prices a transaction as the API would, for the
// people who set the rules.
func (s *server) handleFeeQuotePreview() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		q := r.URL.Query()
		f := feesv.QuoteForm{TransactionType: q.Get("transactionType"), Country: q.Get("country"), Currency: q.Get("currency"),
			Channel: q.Get("channel"), Category: q.Get("category"), Amount: q.Get("amount"), Errors: map[string]string{}, Asked: true}
		status := http.StatusOK
		quote, err := s.Catalog.Quote(r.Context(), emp.TenantID, catalog.QuoteRequest{TransactionType: f.TransactionType, Country: f.Country,
			Currency: f.Currency, Channel: f.Channel, Category: f.Category, Amount: f.Amount})
		switch {
		case err == nil:
			f.Result = &feesv.QuoteResult{Fee: catalog.FormatAmount(quote.Fee, quote.Currency), Currency: quote.Currency,
				Fixed: money(quote.Fixed, quote.Currency), Percentage: money(quote.PercentagePart, quote.Currency),
				Rate: quote.Rate.String(), Limit: quote.Limit, RuleID: quote.RuleID.String(), RuleName: quote.RuleName}
			if quote.Tier != nil {
				f.Result.Tier = tierText(*quote.Tier, quote.Currency)
			}
		case fieldErrors(err, f.Errors):
			status = http.StatusUnprocessableEntity
		case apperr.CodeOf(err) == apperr.NotFound:
			e, _ := apperr.As(err)
			f.NoRule = e.Message + "."
		default:
			s.fail(w, r, err)
			return
		}
		s.page(w, r, status, "Fee quote", "fees", feesv.QuotePanel(f, catalog.Currencies()))
	})
}

// feeForm reads the rule form as posted.
func feeForm(r *http.Request) (feesv.Form, catalog.FeeRuleInput) {
	pf := r.PostForm
	f := feesv.Form{Name: pf.Get("name"), TransactionType: pf.Get("transactionType"), Country: pf.Get("country"), Currency: pf.Get("currency"),
		Channel: pf.Get("channel"), CustomerCategory: pf.Get("customerCategory"), Fixed: pf.Get("fixed"), Percentage: pf.Get("percentage"),
		Minimum: pf.Get("minimum"), Maximum: pf.Get("maximum"), EffectiveFrom: pf.Get("effectiveFrom"), Active: pf.Get("active") == "true",
		Reason: pf.Get("reason"), Errors: map[string]string{}}
	in := catalog.FeeRuleInput{Name: f.Name, TransactionType: f.TransactionType, Country: f.Country, Currency: f.Currency, Channel: f.Channel,
		CustomerCategory: f.CustomerCategory, Fixed: f.Fixed, Percentage: f.Percentage, Minimum: f.Minimum, Maximum: f.Maximum,
		EffectiveFrom: f.EffectiveFrom, Active: f.Active}
	from, upTo, fixed, pct := pf["tierfrom"], pf["tierupTo"], pf["tierfixed"], pf["tierpercentage"]
	n := max(len(from), len(upTo), len(fixed), len(pct))
	at := func(vs []string, i int) string {
		if i < len(vs) {
			return vs[i]
		}
		return ""
	}
	for i := range min(n, 20) {
		t := catalog.TierInput{From: at(from, i), UpTo: at(upTo, i), Fixed: at(fixed, i), Percentage: at(pct, i)}
		in.Tiers = append(in.Tiers, t)
		f.Tiers = append(f.Tiers, feesv.TierRow{From: t.From, UpTo: t.UpTo, Fixed: t.Fixed, Percentage: t.Percentage})
	}
	return f, in
}

// padTiers leaves room for new tiers in the form.
func padTiers(rows []feesv.TierRow) []feesv.TierRow {
	want := max(len(rows)+freeTierRows, minTierRows)
	for len(rows) < want && len(rows) < 10 {
		rows = append(rows, feesv.TierRow{})
	}
	return rows
}

func (s *server) feeFormPage(w http.ResponseWriter, r *http.Request, status int, rule *catalog.FeeRule, form feesv.Form) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := t.Location()
	p := feesv.FormPage{Form: form, CanEdit: emp.Can(staff.PermConfigEdit), Currencies: catalog.Currencies(),
		Suggest: s.feeSuggestions(r, emp.TenantID), Loc: loc, Now: s.Now()}
	p.Form.Tiers = padTiers(p.Form.Tiers)
	title := "New fee rule"
	if rule != nil {
		title = rule.Name
		cur := &feesv.Current{ID: rule.ID.String(), State: rule.State, Dimensions: rule.Dimensions(), EffectiveFrom: rule.EffectiveFrom,
			UpdatedAt: rule.UpdatedAt, Summary: priceSummary(*rule)}
		for _, tr := range rule.Tiers {
			cur.Tiers = append(cur.Tiers, tierText(tr, rule.Currency))
		}
		p.Rule = cur
		pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, catalog.FeeTarget, []string{rule.ID.String()})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Pending = pendingViews(pending[rule.ID.String()])
	}
	s.page(w, r, status, title, "fees", feesv.RulePage(p))
}

func priceSummary(r catalog.FeeRule) string {
	amount := func(v decimal.Decimal) string {
		if r.Currency == "" {
			return v.String()
		}
		return money(v, r.Currency)
	}
	out := fmt.Sprintf("%s + %s %%", amount(r.Fixed), r.Percentage)
	if r.Minimum.Valid {
		out += ", min " + amount(r.Minimum.Decimal)
	}
	if r.Maximum.Valid {
		out += ", max " + amount(r.Maximum.Decimal)
	}
	return out
}

// formOf fills the form with a stored rule.
func formOf(r catalog.FeeRule, date string) feesv.Form {
	f := feesv.Form{Name: r.Name, TransactionType: r.TransactionType, Country: r.Country, Currency: r.Currency, Channel: r.Channel,
		CustomerCategory: r.CustomerCategory, Fixed: r.Fixed.String(), Percentage: r.Percentage.String(), EffectiveFrom: date,
		Active: r.Status == catalog.FeeActive, Errors: map[string]string{}}
	if r.Minimum.Valid {
		f.Minimum = r.Minimum.Decimal.String()
	}
	if r.Maximum.Valid {
		f.Maximum = r.Maximum.Decimal.String()
	}
	for _, t := range r.Tiers {
		row := feesv.TierRow{From: t.From.String(), Fixed: t.Fixed.String(), Percentage: t.Percentage.String()}
		if t.UpTo.Valid {
			row.UpTo = t.UpTo.Decimal.String()
		}
		f.Tiers = append(f.Tiers, row)
	}
	return f
}

func (s *server) handleFeeNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.feeFormPage(w, r, http.StatusOK, nil, feesv.Form{Active: true, Fixed: "0", Percentage: "0",
			EffectiveFrom: s.Now().In(t.Location()).Format("2006-01-02"), Errors: map[string]string{}})
	})
}

// feeRuleOf loads the {id} of a fee route, with its state now.
func (s *server) feeRuleOf(w http.ResponseWriter, r *http.Request) (catalog.FeeRule, bool) {
	emp, _ := employeeFrom(r.Context())
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "no such fee rule"))
		return catalog.FeeRule{}, false
	}
	rule, err := s.Catalog.FeeRule(r.Context(), emp.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return catalog.FeeRule{}, false
	}
	return rule, true
}

func (s *server) handleFeeShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		rule, ok := s.feeRuleOf(w, r)
		if !ok {
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.feeFormPage(w, r, http.StatusOK, &rule, formOf(rule, rule.EffectiveFrom.In(t.Location()).Format("2006-01-02")))
	})
}

// proposeFee validates the posted form and proposes it as kind on target;
// a form with problems is shown again with them beside the fields.
func (s *server) proposeFee(w http.ResponseWriter, r *http.Request, rule *catalog.FeeRule, kind, target, verb string) bool {
	emp, _ := employeeFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Malformed, "the form could not be read"))
		return false
	}
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	form, in := feeForm(r)
	spec, err := catalog.ParseFeeRule(in, t.Location(), s.Now())
	if err == nil {
		_, err = s.Approvals.Propose(r.Context(), emp.TenantID, kind, target, verb+" fee rule "+spec.Name, spec, form.Reason)
	}
	if fieldErrors(err, form.Errors) {
		s.feeFormPage(w, r, http.StatusUnprocessableEntity, rule, form)
		return false
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Conflict || c == apperr.Forbidden {
			e, _ := apperr.As(err)
			form.Errors["name"] = e.Message
			s.feeFormPage(w, r, statusOf(c), rule, form)
			return false
		}
		s.fail(w, r, err)
		return false
	}
	s.flash(w, r, "success", verb+" fee rule "+spec.Name+": awaiting a second employee's approval.")
	return true
}

func (s *server) handleFeeCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.proposeFee(w, r, nil, catalog.KindFeeCreate, uuid.NewString(), "Create") {
			s.seeOther(w, r, feesPath)
		}
	})
}

func (s *server) handleFeeUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule, ok := s.feeRuleOf(w, r)
		if !ok {
			return
		}
		if s.proposeFee(w, r, &rule, catalog.KindFeeUpdate, rule.ID.String(), "Change") {
			s.seeOther(w, r, feesPath+"/"+rule.ID.String())
		}
	})
}
