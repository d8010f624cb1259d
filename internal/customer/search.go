package customer

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Sort orders of a customer search.
const (
	SortNewest = "created" // newest first
	SortName   = "name"    // by last name, then first name
)

// Statuses, risk levels and permissions a search may filter by, in the
// order the portal offers them.
var (
	Statuses    = []string{StatusPendingVerification, StatusActive, StatusInactive, StatusLocked, StatusClosed, StatusErased}
	RiskLevels  = []string{"LOW", "MEDIUM", "HIGH"}
	Permissions = []string{PermissionUnverified, PermissionReceive, PermissionSendAndReceive, PermissionLocked, PermissionClosed}
)

// SearchFilter narrows a customer search. Zero values match everything.
type SearchFilter struct {
	// Query is a name, e-mail address, phone number, customer id (or the
	// start of one) or IBAN.
	Query      string
	Status     string
	RiskLevel  string
	Permission string
	Sort       string // SortNewest when empty
	// After is the keyset cursor: the last customer of the previous page.
	After uuid.UUID
	Limit int
}

// Summary is a customer as a search result lists them.
type Summary struct {
	ID             uuid.UUID
	FirstName      string
	MiddleName     string
	LastName       string
	Email          string
	Nationality    string
	AddressCountry string
	Status         string
	Permission     string
	RiskLevel      string
	CreatedAt      time.Time
}

// FullName is first, middle and last name.
func (s Summary) FullName() string {
	return Customer{FirstName: s.FirstName, MiddleName: s.MiddleName, LastName: s.LastName}.FullName()
}

// SearchResult is one page of a search.
type SearchResult struct {
	Customers []Summary
	// Total counts every match, not only this page, up to CountCap.
	Total int64
	// TotalCapped says more than CountCap customers match a search: Total
	// is then CountCap, and the page can show it as "500+".
	TotalCapped bool
	// Next is the cursor of the next page; uuid.Nil on the last.
	Next uuid.UUID
	// QueryIgnored is set when the search text was too short to search
	// by (see MinQueryLength); the result is then the filtered list.
	QueryIgnored bool
}

// MinQueryLength is how long at least one word of a text search must be.
// Shorter words match too much, and no index can find them: two letters
// would read every customer of the tenant.
const MinQueryLength = 3

// MaxSearchLimit is the largest page a search returns.
const MaxSearchLimit = 200

// CountCap is how far a text search counts its matches. Counting reads
// each match from the table: a common last name matches 11,000 of a million
// customers, and counting them all took longer than the page may (400 ms
// and more); counting 500 takes a few milliseconds. Past the cap the
// newest (or first by name) are found by reading the customers in the
// page's order until the page is full, which is quick exactly when many
// match.
const CountCap = 500

// Search finds tenant's customers matching f, a page at a time.
func (s *Service) Search(ctx context.Context, tenant uuid.UUID, f SearchFilter) (SearchResult, error) {
	var fe apperr.Fields
	oneOf := func(field, v string, allowed []string) {
		if v != "" && !slices.Contains(allowed, v) {
			fe.Add(field, "must be one of %s", strings.Join(allowed, ", "))
		}
	}
	oneOf("status", f.Status, Statuses)
	oneOf("risk", f.RiskLevel, RiskLevels)
	oneOf("permission", f.Permission, Permissions)
	if f.Sort == "" {
		f.Sort = SortNewest
	}
	oneOf("sort", f.Sort, []string{SortNewest, SortName})
	if len([]rune(f.Query)) > 200 {
		fe.Add("q", "must be at most 200 characters")
	}
	if err := fe.Err(); err != nil {
		return SearchResult{}, err
	}
	if f.Limit <= 0 || f.Limit > MaxSearchLimit {
		f.Limit = 50
	}
	m := matcherFor(f.Query)
	out := SearchResult{QueryIgnored: m.tooShort}
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if err := q.CustomerSearchPlans(ctx); err != nil {
			return err
		}
		var err error
		out.Customers, out.Total, err = search(ctx, q, tenant, f, m)
		if m.search && out.Total > CountCap {
			out.Total, out.TotalCapped = CountCap, true
		}
		return err
	})
	if err != nil {
		return SearchResult{}, fmt.Errorf("customer: search: %w", err)
	}
	if len(out.Customers) > f.Limit {
		out.Customers = out.Customers[:f.Limit]
		out.Next = out.Customers[f.Limit-1].ID
	}
	return out, nil
}

// search runs the query that fits: a listing when there is no search
// text, a search otherwise; by newest or by name.
func search(ctx context.Context, q *db.Queries, tenant uuid.UUID, f SearchFilter, m matcher) ([]Summary, int64, error) {
	var (
		out   []Summary
		total int64
		err   error
	)
	max, paged := int32(f.Limit+1), f.After != uuid.Nil
	switch {
	case !m.search:
		total, err = q.CountCustomers(ctx, db.CountCustomersParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel, Permission: f.Permission})
		if err != nil || total == 0 {
			return nil, total, err
		}
		if f.Sort == SortName {
			rows, err := q.ListCustomersByName(ctx, db.ListCustomersByNameParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel,
				Permission: f.Permission, Paged: paged, After: f.After, MaxRows: max})
			for _, r := range rows {
				out = append(out, Summary(r))
			}
			return out, total, err
		}
		rows, err := q.ListCustomersNewest(ctx, db.ListCustomersNewestParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel,
			Permission: f.Permission, Paged: paged, After: f.After, MaxRows: max})
		for _, r := range rows {
			out = append(out, Summary(r))
		}
		return out, total, err
	default:
		// One more than the cap tells "more than the cap" from "the cap".
		maxIDs := int32(CountCap + 1)
		var ids []uuid.UUID
		if m.byText && !m.byIBAN {
			// One read of the matching rows gives the count and, newest
			// first, the page's ids: the page is read by those alone.
			hits, err := q.CustomerTextHits(ctx, db.CustomerTextHitsParams{Pattern: m.pattern, Status: f.Status, RiskLevel: f.RiskLevel,
				Permission: f.Permission, MaxIds: maxIDs})
			if err != nil || len(hits) == 0 {
				return nil, 0, err
			}
			total = int64(len(hits))
			if f.Sort == SortNewest && total <= CountCap {
				page, whole := newestPage(hits, f.After, int(max))
				if whole {
					rows, err := q.CustomersByIDsNewest(ctx, db.CustomersByIDsNewestParams{TenantID: tenant, Ids: page, Status: f.Status,
						RiskLevel: f.RiskLevel, Permission: f.Permission})
					for _, r := range rows {
						out = append(out, Summary(r))
					}
					return out, total, err
				}
				ids = page
			} else {
				ids = hitIDs(hits)
			}
		} else {
			ids, err = q.CustomerMatchIDs(ctx, db.CustomerMatchIDsParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel,
				Permission: f.Permission, ID: m.id, ByID: m.byID, Pattern: m.pattern, MaxIds: maxIDs, ByText: m.byText, ByIban: m.byIBAN, Iban: m.iban})
			total = int64(len(ids))
			if err != nil || total == 0 {
				return nil, total, err
			}
		}
		// Up to the cap, the page is read by these ids. Past it, in the
		// page's order until the page is full.
		walk := m.byText && total > CountCap
		if walk {
			ids = nil
		}
		if f.Sort == SortName {
			rows, err := q.SearchCustomersByName(ctx, db.SearchCustomersByNameParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel,
				Permission: f.Permission, ID: m.id, ByID: m.byID, Pattern: m.pattern, Ids: ids, ByText: m.byText, Walk: walk,
				ByIban: m.byIBAN, Iban: m.iban, Paged: paged, After: f.After, MaxRows: max})
			for _, r := range rows {
				out = append(out, Summary(r))
			}
			return out, total, err
		}
		rows, err := q.SearchCustomersNewest(ctx, db.SearchCustomersNewestParams{TenantID: tenant, Status: f.Status, RiskLevel: f.RiskLevel,
			Permission: f.Permission, ID: m.id, ByID: m.byID, Pattern: m.pattern, Ids: ids, ByText: m.byText, Walk: walk,
			ByIban: m.byIBAN, Iban: m.iban, Paged: paged, After: f.After, MaxRows: max})
		for _, r := range rows {
			out = append(out, Summary(r))
		}
		return out, total, err
	}
}

// newestPage is the ids of the first n of hits newest first (by sign-up
// time, then id, as the page queries order them) after the customer after
// (uuid.Nil: from the start), and true. When after is not among the hits
// (changed since the previous page), it is every id and false: the page
// query places the cursor itself.
func newestPage(hits []db.CustomerTextHitsRow, after uuid.UUID, n int) ([]uuid.UUID, bool) {
	slices.SortFunc(hits, func(a, b db.CustomerTextHitsRow) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
	from := 0
	if after != uuid.Nil {
		i := slices.IndexFunc(hits, func(h db.CustomerTextHitsRow) bool { return h.ID == after })
		if i < 0 {
			return hitIDs(hits), false
		}
		from = i + 1
	}
	return hitIDs(hits[from:min(len(hits), from+n)]), true
}

// hitIDs is the ids of hits, in their order.
func hitIDs(hits []db.CustomerTextHitsRow) []uuid.UUID {
	ids := make([]uuid.UUID, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// matcher is how a query string is looked for.
type matcher struct {
	tooShort      bool
	search        bool
	byID, byText  bool
	byIBAN        bool
	id            uuid.UUID
	pattern, iban string
}

// matcherFor reads a query: a whole UUID is looked up by id alone;
// something shaped like an IBAN also in wallets; a phone number by its
// digits (leading zeros dropped, so a national 07911 123456 finds
// +447911123456); anything else as words that must appear in this order
// in the name, e-mail address, phone numbers or id.
func matcherFor(q string) matcher {
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return matcher{}
	}
	if id, err := uuid.Parse(q); err == nil {
		return matcher{search: true, byID: true, id: id}
	}
	m := matcher{search: true, byText: true}
	compact := strings.ToUpper(strings.ReplaceAll(q, " ", ""))
	if looksLikeIBAN(compact) {
		m.byIBAN, m.iban = true, compact
	}
	words := strings.Fields(strings.ToLower(q))
	if digits, ok := phoneDigits(q); ok {
		words = []string{digits}
	} else if !m.byIBAN && !slices.ContainsFunc(words, func(w string) bool { return len([]rune(w)) >= MinQueryLength }) {
		return matcher{tooShort: true}
	}
	for i, w := range words {
		words[i] = escapeLike(w)
	}
	m.pattern = "%" + strings.Join(words, "%") + "%"
	return m
}

// looksLikeIBAN reports whether s has an IBAN's shape: a country code,
// two check digits and 11 to 30 letters or digits.
func looksLikeIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, r := range s {
		switch {
		case i < 2 && (r < 'A' || r > 'Z'):
			return false
		case i >= 2 && i < 4 && (r < '0' || r > '9'):
			return false
		case i >= 4 && !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			return false
		}
	}
	return true
}

// phoneDigits returns the digits of something typed as a phone number
// (digits with +, spaces, dashes, dots or brackets, at least six digits),
// without leading zeros and without a bracketed trunk zero, as in
// +44 (0)7911 123456.
func phoneDigits(q string) (string, bool) {
	q = strings.ReplaceAll(q, "(0)", "")
	var b strings.Builder
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			b.WriteRune(r)
		case strings.ContainsRune("+ -.()/", r):
		default:
			return "", false
		}
	}
	d := strings.TrimLeft(b.String(), "0")
	if b.Len() < 6 || d == "" {
		return "", false
	}
	return d, true
}

// escapeLike makes s match itself in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
