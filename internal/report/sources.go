package report

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/pii"
)

// A source is one of the product's read views a report selects from: its
// columns (each with the kind of personal value it holds, masked per
// role), its filters, and the queries (queries/reports.sql) that count
// and page through it. Definitions choose among them; nothing a person
// types reaches SQL but as a parameter.
type source struct {
	columns []column
	filters []*filter
	count   func(ctx context.Context, q *db.Queries, p params) (int64, error)
	// page emits the rows after p.after, at most p.limit, each as the
	// source's column values in order, and returns the last row's id
	// (uuid.Nil when there were none).
	page func(ctx context.Context, q *db.Queries, p params, emit func(vals []string)) (uuid.UUID, error)
}

type column struct {
	key, header string
	// field is the kind of customer value the column holds ("" for none).
	field pii.Field
	// number columns are written as numbers in XLSX.
	number bool
}

type filter struct {
	key, label string
	kind       string // choice, country, currency or date
	options    []Option
}

var (
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// check is what is wrong with v as a value of f, "" when nothing.
func (f *filter) check(v string) string {
	switch f.kind {
	case "choice":
		for _, o := range f.options {
			if o.Value == v {
				return ""
			}
		}
		vals := make([]string, len(f.options))
		for i, o := range f.options {
			vals[i] = o.Value
		}
		return "choose one of " + strings.Join(vals, ", ")
	case "country":
		if !countryRE.MatchString(v) {
			return "use an ISO 3166 alpha-2 code such as GB"
		}
	case "currency":
		if !currencyRE.MatchString(v) {
			return "use an ISO 4217 code such as EUR"
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "use a date such as 2026-01-31"
		}
	}
	return ""
}

func (s source) column(key string) int {
	for i, c := range s.columns {
		if c.key == key {
			return i
		}
	}
	return -1
}

func (s source) filter(key string) *filter {
	for _, f := range s.filters {
		if f.key == key {
			return f
		}
	}
	return nil
}

// params are what a query of a source is run with.
type params struct {
	tenant       uuid.UUID
	v            Values
	since, until *time.Time
	after        uuid.UUID
	limit        int32
	loc          *time.Location
}

// paramsOf reads v's dates in loc: since from its first moment, until to
// the end of its day.
func paramsOf(tenant uuid.UUID, v Values, loc *time.Location) params {
	p := params{tenant: tenant, v: v, loc: loc}
	if s, err := time.ParseInLocation(time.DateOnly, v["since"], loc); err == nil {
		p.since = &s
	}
	if u, err := time.ParseInLocation(time.DateOnly, v["until"], loc); err == nil {
		u = u.AddDate(0, 0, 1)
		p.until = &u
	}
	return p
}

func (p params) at(t time.Time) string { return t.In(p.loc).Format(time.RFC3339) }

func (p params) atp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return p.at(*t)
}

func fullName(parts ...string) string {
	var b []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			b = append(b, s)
		}
	}
	return strings.Join(b, " ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var (
	riskFilter = &filter{key: "risk", label: "Risk", kind: "choice",
		options: []Option{{"LOW", "Low"}, {"MEDIUM", "Medium"}, {"HIGH", "High"}}}
	sinceFilter = &filter{key: "since", label: "From (first day)", kind: "date"}
	untilFilter = &filter{key: "until", label: "To (last day)", kind: "date"}
)

func nullAmount(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return d.Decimal.String()
}

var sources = map[string]source{
	// The fee rules: the product quotes fees from them and records no fee
	// as charged, so this is the tariff, not a ledger of charges.
	"fee_rules": {
		columns: []column{
			{key: "id", header: "Fee rule id"},
			{key: "name", header: "Name"},
			{key: "transaction_type", header: "Transaction type"},
			{key: "country", header: "Country"},
			{key: "currency", header: "Currency"},
			{key: "channel", header: "Channel"},
			{key: "customer_category", header: "Customer category"},
			{key: "fixed", header: "Fixed part", number: true},
			{key: "percentage", header: "Percentage", number: true},
			{key: "minimum", header: "Minimum fee", number: true},
			{key: "maximum", header: "Maximum fee", number: true},
			{key: "tiers", header: "Tiers (from-up to: fixed + %)"},
			{key: "effective_from", header: "In effect from"},
			{key: "status", header: "Status"},
			{key: "created", header: "Created"},
			{key: "updated", header: "Last changed"},
		},
		filters: []*filter{
			{key: "status", label: "Status", kind: "choice", options: []Option{{"ACTIVE", "Active"}, {"INACTIVE", "Inactive"}}},
			{key: "currency", label: "Currency", kind: "currency"},
			{key: "since", label: "In effect from (first day)", kind: "date"},
			{key: "until", label: "In effect from (last day)", kind: "date"},
		},
		count: func(ctx context.Context, q *db.Queries, p params) (int64, error) {
			return q.ReportFeeRulesCount(ctx, db.ReportFeeRulesCountParams{TenantID: p.tenant, Status: p.v["status"], Currency: p.v["currency"],
				Since: p.since, Until: p.until})
		},
		page: func(ctx context.Context, q *db.Queries, p params, emit func([]string)) (uuid.UUID, error) {
			rows, err := q.ReportFeeRules(ctx, db.ReportFeeRulesParams{TenantID: p.tenant, AfterID: p.after, Status: p.v["status"],
				Currency: p.v["currency"], Since: p.since, Until: p.until, MaxRows: p.limit})
			last := uuid.Nil
			for _, r := range rows {
				last = r.ID
				emit([]string{r.ID.String(), r.Name, r.TransactionType, r.Country, r.Currency, r.Channel, r.CustomerCategory,
					r.FixedAmount.String(), r.Percentage.String(), nullAmount(r.MinimumFee), nullAmount(r.MaximumFee), r.Tiers,
					p.at(r.EffectiveFrom), r.Status, p.at(r.CreatedAt), p.at(r.UpdatedAt)})
			}
			return last, err
		},
	},
	"customers": {
		columns: []column{
			{key: "id", header: "Customer id"},
			{key: "name", header: "Name", field: pii.Name},
			{key: "email", header: "E-mail", field: pii.Email},
			{key: "phone", header: "Phone", field: pii.Phone},
			{key: "date_of_birth", header: "Date of birth", field: pii.DateOfBirth},
			{key: "nationality", header: "Nationality"},
			{key: "country", header: "Country of residence"},
			{key: "risk", header: "Risk"},
			{key: "status", header: "Status"},
			{key: "permission", header: "Permission"},
			{key: "pep", header: "Confirmed PEP"},
			{key: "created", header: "Registered"},
		},
		filters: []*filter{riskFilter, {key: "country", label: "Country of residence", kind: "country"},
			{key: "status", label: "Status", kind: "choice", options: []Option{{"PENDING_VERIFICATION", "Pending verification"},
				{"ACTIVE", "Active"}, {"INACTIVE", "Inactive"}, {"LOCKED", "Locked"}, {"CLOSED", "Closed"}}},
			{key: "pep", label: "Confirmed PEP", kind: "choice", options: []Option{{"yes", "Yes"}}},
			sinceFilter, untilFilter},
		count: func(ctx context.Context, q *db.Queries, p params) (int64, error) {
			if p.v["pep"] == "yes" {
				// Counting PEPs costs a look at every customer's hits; the
				// count is only for progress, so the page size stands in.
				return -1, nil
			}
			return q.ReportCustomersCount(ctx, db.ReportCustomersCountParams{TenantID: p.tenant, Risk: p.v["risk"], Country: p.v["country"],
				Status: p.v["status"], Since: p.since, Until: p.until})
		},
		page: func(ctx context.Context, q *db.Queries, p params, emit func([]string)) (uuid.UUID, error) {
			rows, err := q.ReportCustomers(ctx, db.ReportCustomersParams{TenantID: p.tenant, AfterID: p.after, Risk: p.v["risk"],
				Country: p.v["country"], Status: p.v["status"], Since: p.since, Until: p.until, MaxRows: p.limit})
			last := uuid.Nil
			for _, r := range rows {
				last = r.ID
				if p.v["pep"] == "yes" && !r.Pep {
					continue
				}
				emit([]string{r.ID.String(), fullName(r.FirstName, r.MiddleName, r.LastName), r.Email, r.PhoneNumber,
					r.DateOfBirth.Format(time.DateOnly), r.Nationality, r.Country, r.RiskLevel, r.Status, r.Permission, yesNo(r.Pep), p.at(r.CreatedAt)})
			}
			return last, err
		},
	},
	"screening_hits": {
		columns: []column{
			{key: "id", header: "Hit id"},
			{key: "customer_id", header: "Customer id"},
			{key: "customer_name", header: "Customer", field: pii.Name},
			{key: "entry_name", header: "Listed name"},
			{key: "list", header: "List"},
			{key: "list_kind", header: "List kind"},
			{key: "score", header: "Score", number: true},
			{key: "match", header: "Match"},
			{key: "status", header: "Status"},
			{key: "decided_by", header: "Decided by"},
			{key: "decided", header: "Decided"},
			{key: "created", header: "Found"},
		},
		filters: []*filter{
			{key: "kind", label: "List kind", kind: "choice", options: []Option{{"SANCTIONS", "Sanctions"}, {"PEP", "PEP"}}},
			{key: "status", label: "Status", kind: "choice", options: []Option{{"OPEN", "Open"}, {"CONFIRMED", "Confirmed"}, {"DISMISSED", "Dismissed"}}},
			sinceFilter, untilFilter},
		count: func(ctx context.Context, q *db.Queries, p params) (int64, error) {
			return q.ReportScreeningHitsCount(ctx, db.ReportScreeningHitsCountParams{TenantID: p.tenant, Kind: p.v["kind"], Status: p.v["status"],
				Since: p.since, Until: p.until})
		},
		page: func(ctx context.Context, q *db.Queries, p params, emit func([]string)) (uuid.UUID, error) {
			rows, err := q.ReportScreeningHits(ctx, db.ReportScreeningHitsParams{TenantID: p.tenant, AfterID: p.after, Kind: p.v["kind"],
				Status: p.v["status"], Since: p.since, Until: p.until, MaxRows: p.limit})
			last := uuid.Nil
			for _, r := range rows {
				last = r.ID
				emit([]string{r.ID.String(), r.SubjectID.String(), r.SubjectName, r.EntryName, r.ListName, r.ListKind,
					strconv.FormatFloat(r.Score, 'f', 3, 64), r.MatchStatus, r.Status, r.DecidedBy, p.atp(r.DecidedAt), p.at(r.CreatedAt)})
			}
			return last, err
		},
	},
	"verifications": {
		columns: []column{
			{key: "id", header: "Verification id"},
			{key: "customer_id", header: "Customer id"},
			{key: "customer_name", header: "Customer", field: pii.Name},
			{key: "risk", header: "Risk"},
			{key: "status", header: "Outcome"},
			{key: "decision", header: "Decision"},
			{key: "method", header: "Method"},
			{key: "decided_by", header: "Decided by"},
			{key: "created", header: "Started"},
			{key: "completed", header: "Decided"},
		},
		filters: []*filter{
			{key: "status", label: "Outcome", kind: "choice", options: []Option{{"APPROVED", "Approved"}, {"REJECTED", "Rejected"}}},
			riskFilter, sinceFilter, untilFilter},
		count: func(ctx context.Context, q *db.Queries, p params) (int64, error) {
			return q.ReportVerificationsCount(ctx, db.ReportVerificationsCountParams{TenantID: p.tenant, Status: p.v["status"], Risk: p.v["risk"],
				Since: p.since, Until: p.until})
		},
		page: func(ctx context.Context, q *db.Queries, p params, emit func([]string)) (uuid.UUID, error) {
			rows, err := q.ReportVerifications(ctx, db.ReportVerificationsParams{TenantID: p.tenant, AfterID: p.after, Status: p.v["status"],
				Risk: p.v["risk"], Since: p.since, Until: p.until, MaxRows: p.limit})
			last := uuid.Nil
			for _, r := range rows {
				last = r.ID
				emit([]string{r.ID.String(), r.CustomerID.String(), fullName(r.FirstName, r.LastName), r.RiskLevel, r.Status, r.Decision,
					r.Method, r.DecidedBy, p.at(r.CreatedAt), p.atp(r.CompletedAt)})
			}
			return last, err
		},
	},
	"alerts": {
		columns: []column{
			{key: "id", header: "Alert id"},
			{key: "customer_id", header: "Customer id"},
			{key: "customer_name", header: "Customer", field: pii.Name},
			{key: "transaction", header: "Transaction"},
			{key: "severity", header: "Severity"},
			{key: "decision", header: "Decision"},
			{key: "score", header: "Score", number: true},
			{key: "rules", header: "Rules"},
			{key: "amount", header: "Amount", number: true},
			{key: "currency", header: "Currency"},
			{key: "status", header: "Status"},
			{key: "assignee", header: "Assignee"},
			// The narrative may quote the customer's values: masked as
			// document data unless the view sees everything.
			{key: "sar_narrative", header: "SAR narrative", field: pii.DocumentData},
			{key: "created", header: "Raised"},
			{key: "closed", header: "Closed"},
		},
		filters: []*filter{
			{key: "status", label: "Status", kind: "choice", options: []Option{{"OPEN", "Open"}, {"ESCALATED", "Escalated"},
				{"CLOSED_FALSE_POSITIVE", "Closed as false positive"}, {"SAR_DRAFTED", "SAR drafted"}}},
			{key: "severity", label: "Severity", kind: "choice", options: []Option{{"MEDIUM", "Medium"}, {"HIGH", "High"}}},
			sinceFilter, untilFilter},
		count: func(ctx context.Context, q *db.Queries, p params) (int64, error) {
			return q.ReportAlertsCount(ctx, db.ReportAlertsCountParams{TenantID: p.tenant, Status: p.v["status"], Severity: p.v["severity"],
				Since: p.since, Until: p.until})
		},
		page: func(ctx context.Context, q *db.Queries, p params, emit func([]string)) (uuid.UUID, error) {
			rows, err := q.ReportAlerts(ctx, db.ReportAlertsParams{TenantID: p.tenant, AfterID: p.after, Status: p.v["status"],
				Severity: p.v["severity"], Since: p.since, Until: p.until, MaxRows: p.limit})
			last := uuid.Nil
			for _, r := range rows {
				last = r.ID
				emit([]string{r.ID.String(), r.CustomerID.String(), fullName(r.FirstName, r.LastName), r.TransactionRef, r.Severity, r.Decision,
					strconv.Itoa(int(r.Score)), strings.Join(r.RuleNames, ", "), r.Amount.String(), r.Currency, r.Status, r.Assignee,
					r.SarNarrative, p.at(r.CreatedAt), p.atp(r.ClosedAt)})
			}
			return last, err
		},
	},
}
