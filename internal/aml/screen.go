package aml

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
)

// ScreenInput is a transaction to screen, as the API receives it; field
// problems are named by the API's JSON paths.
type ScreenInput struct {
	CustomerID    string
	TransactionID string
	Type          string
	Direction     string
	Amount        string
	Currency      string
	Channel       string
	Timestamp     string
	Counterparty  *Counterparty
}

// Screening is a screened transaction's decision.
type Screening struct {
	// ID is the stored transaction's id.
	ID       uuid.UUID
	Decision Outcome
	Score    int
	Hits     []Hit
	AlertID  *uuid.UUID
	Failures []Failure
	Notes    []string
	// Replayed is true when the transaction had been screened before and
	// this is the decision then.
	Replayed bool
}

// How far ahead of the server's clock a transaction's time may be.
const futureSkew = 5 * time.Minute

var (
	codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)
	earliest    = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAmount   = decimal.New(1, 15)
)

// validated is a ScreenInput read and checked.
type validated struct {
	customer uuid.UUID
	tx       Transaction
	hash     []byte
}

func (s *Service) validate(in ScreenInput) (validated, error) {
	var (
		fe apperr.Fields
		v  validated
	)
	tx := &v.tx
	if strings.TrimSpace(in.CustomerID) == "" {
		fe.Add("customerId", "is required")
	} else if id, err := uuid.Parse(strings.TrimSpace(in.CustomerID)); err != nil {
		fe.Add("customerId", "must be a customer id (a UUID)")
	} else {
		v.customer = id
	}
	tx.ID = strings.TrimSpace(in.TransactionID)
	switch {
	case tx.ID == "":
		fe.Add("transactionId", "is required")
	case len(tx.ID) > 100:
		fe.Add("transactionId", "must be at most 100 characters")
	}
	tx.Type = strings.ToUpper(strings.TrimSpace(in.Type))
	switch {
	case tx.Type == "":
		fe.Add("type", "is required, e.g. TRANSFER")
	case !codePattern.MatchString(tx.Type):
		fe.Add("type", "use letters, digits and _ (at most 40), e.g. CARD_PAYMENT")
	}
	tx.Direction = strings.ToUpper(strings.TrimSpace(in.Direction))
	if tx.Direction != "IN" && tx.Direction != "OUT" {
		fe.Add("direction", "must be IN or OUT")
	}
	tx.Channel = strings.ToUpper(strings.TrimSpace(in.Channel))
	if tx.Channel != "" && !codePattern.MatchString(tx.Channel) {
		fe.Add("channel", "use letters, digits and _ (at most 40), e.g. MOBILE")
	}
	amount := strings.TrimSpace(in.Amount)
	if amount == "" {
		fe.Add("amount", "is required, as a decimal string such as \"1250.00\"")
	} else if d, err := decimal.NewFromString(amount); err != nil {
		fe.Add("amount", "must be a decimal number such as \"1250.00\"")
	} else {
		switch {
		case d.Sign() < 0:
			fe.Add("amount", "must not be negative: say the direction with IN or OUT")
		case d.Sign() == 0:
			fe.Add("amount", "must be more than zero")
		case d.Exponent() < -4:
			fe.Add("amount", "may have at most four decimal places")
		case d.GreaterThanOrEqual(maxAmount):
			fe.Add("amount", "is too large")
		}
		tx.Amount = d
	}
	tx.Currency = strings.TrimSpace(in.Currency)
	switch {
	case tx.Currency == "":
		fe.Add("currency", "is required, an ISO 4217 code such as EUR")
	case !validCurrency(strings.ToUpper(tx.Currency)):
		fe.Add("currency", "unknown currency %q: use an ISO 4217 code such as EUR", tx.Currency)
	default:
		tx.Currency = strings.ToUpper(tx.Currency)
	}
	now := s.now()
	if ts := strings.TrimSpace(in.Timestamp); ts == "" {
		fe.Add("timestamp", "is required, in RFC 3339 (2026-03-01T12:00:00Z)")
	} else if at, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		fe.Add("timestamp", "must be RFC 3339 with a time zone, e.g. 2026-03-01T12:00:00Z")
	} else if at.After(now.Add(futureSkew)) {
		fe.Add("timestamp", "is in the future (%s ahead of the server's clock)", at.Sub(now).Round(time.Second))
	} else if at.Before(earliest) {
		fe.Add("timestamp", "is before the year 2000")
	} else {
		tx.At = at.UTC().Truncate(time.Microsecond)
	}
	if cp := in.Counterparty; cp != nil {
		tx.Counterparty = Counterparty{Name: strings.TrimSpace(cp.Name), Country: strings.ToUpper(strings.TrimSpace(cp.Country)),
			Account: strings.TrimSpace(cp.Account)}
		if len(tx.Counterparty.Name) > 200 {
			fe.Add("counterparty.name", "must be at most 200 characters")
		}
		if c := tx.Counterparty.Country; c != "" && !customer.ValidCountry(c) {
			fe.Add("counterparty.country", "unknown country %q: use ISO 3166 alpha-2, e.g. DE", c)
		}
		if len(tx.Counterparty.Account) > 64 {
			fe.Add("counterparty.account", "must be at most 64 characters")
		}
	}
	if err := fe.Err(); err != nil {
		return v, err
	}
	h := sha256.New()
	for _, part := range []string{v.customer.String(), tx.ID, tx.Type, tx.Direction, tx.Amount.String(), tx.Currency, tx.Channel,
		tx.At.Format(time.RFC3339Nano), tx.Counterparty.Name, tx.Counterparty.Country, tx.Counterparty.Account} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	v.hash = h.Sum(nil)
	return v, nil
}

// screened is a counterparty already screened: it answers without I/O.
type screened struct {
	r   SanctionsResult
	err error
}

func (p screened) ScreenCounterparty(context.Context, uuid.UUID, Counterparty) (SanctionsResult, error) {
	return p.r, p.err
}

// prescreen screens a named counterparty with the service's screener, so
// that evaluation reads the answer without I/O; nil when there is nothing
// to screen or no screener (evaluation then says why).
func (s *Service) prescreen(ctx context.Context, tenant uuid.UUID, cp Counterparty) CounterpartyScreener {
	if s.Screener == nil || strings.TrimSpace(cp.Name) == "" {
		return nil
	}
	r, err := s.Screener.ScreenCounterparty(ctx, tenant, cp)
	return screened{r: r, err: err}
}

// storedHit is a triggered rule as the transaction keeps it.
type storedHit struct {
	RuleKey string         `json:"ruleId"`
	Name    string         `json:"name"`
	Version int            `json:"version"`
	Outcome Outcome        `json:"outcome"`
	Score   int            `json:"score"`
	Values  map[string]any `json:"values"`
}

func hitsFromJSON(raw []byte) []Hit {
	var stored []storedHit
	_ = json.Unmarshal(raw, &stored)
	out := make([]Hit, 0, len(stored))
	for _, h := range stored {
		id, _ := uuid.Parse(h.RuleKey)
		out = append(out, Hit{RuleKey: h.RuleKey, RuleID: id, Name: h.Name, Version: h.Version, Outcome: h.Outcome, Score: h.Score, Values: h.Values})
	}
	return out
}

// laterRows decodes the rows AMLScreenSubject read after a seq: arrays of
// seq, time in microseconds, direction, type, channel, currency, units,
// reference units (or null) and counterparty country.
func laterRows(raw []byte) ([]laterRow, error) {
	var arrays [][]json.RawMessage
	if err := json.Unmarshal(raw, &arrays); err != nil {
		return nil, errf("later rows: %w", err)
	}
	out := make([]laterRow, len(arrays))
	for i, a := range arrays {
		var (
			micros, units                              int64
			ref                                        *int64
			direction, typ, channel, currency, country string
		)
		dst := []any{&out[i].seq, &micros, &direction, &typ, &channel, &currency, &units, &ref, &country}
		if len(a) != len(dst) {
			return nil, errf("later rows: %d columns, want %d", len(a), len(dst))
		}
		for j := range dst {
			if err := json.Unmarshal(a[j], dst[j]); err != nil {
				return nil, errf("later rows, column %d: %w", j+1, err)
			}
		}
		out[i].p = pastOf(time.UnixMicro(micros).UTC(), direction, typ, channel, currency, units, ref, "", country)
	}
	return out, nil
}

// seenSource is querySource that already knows whether the customer dealt
// with the screened transaction's counterparty before it.
type seenSource struct {
	querySource
	customer uuid.UUID
	key      string
	before   time.Time
	seen     bool
}

// CounterpartySeen implements Source.
func (s seenSource) CounterpartySeen(ctx context.Context, customer uuid.UUID, key string, t time.Time) (bool, error) {
	if customer == s.customer && key == s.key && t.Equal(s.before) {
		return s.seen, nil
	}
	return s.querySource.CounterpartySeen(ctx, customer, key, t)
}

// lockKey is the advisory lock of one customer's screenings.
func lockKey(id uuid.UUID) int64 { return int64(binary.BigEndian.Uint64(id[:8])) }

// Severity of an alert: BLOCK is HIGH; REVIEW is MEDIUM, HIGH from a score
// of 80.
func severity(d Outcome, score int) string {
	if d == Block || score >= 80 {
		return "HIGH"
	}
	return "MEDIUM"
}

// Screen evaluates a transaction against every active rule of the tenant
// and the customer's limits, stores it with the decision, and raises an
// alert for REVIEW and BLOCK — all in one transaction. The same
// transactionId again gets the first decision; with different content it
// is a conflict.
func (s *Service) Screen(ctx context.Context, tenant uuid.UUID, in ScreenInput) (Screening, error) {
	v, err := s.validate(in)
	if err != nil {
		return Screening{}, err
	}
	// The counterparty is screened before the transaction opens: the
	// screening service may need a connection of its own, and one
	// screening must never hold one connection while it waits for another.
	screener := s.prescreen(ctx, tenant, v.tx.Counterparty)
	var (
		out    Screening
		stored bool
	)
	cpKey := v.tx.Counterparty.Key()
	err = db.InTenantTxLocked(ctx, s.pool, tenant, lockKey(v.customer), func(q *db.Queries) error {
		out, stored = Screening{}, false
		// Under the customer's lock: the server's copy of their window,
		// and one statement that reads the customer with the rows the copy
		// lacks and whether the counterparty is new to them.
		w, after := s.windows.hold(tenant, v.customer)
		added := 0
		defer func() { s.windows.release(w, added) }()
		subject, err := q.AMLScreenSubject(ctx, db.AMLScreenSubjectParams{TenantID: tenant, ID: v.customer, After: after,
			CounterpartyKey: cpKey, Before: v.tx.At})
		if db.IsNotFound(err) {
			return apperr.Validation(apperr.FieldError{Field: "customerId", Issue: "no such customer"})
		}
		if err != nil {
			return err
		}
		later, err := laterRows(subject.Later)
		if err != nil {
			return err
		}
		rs, err := s.ruleSet(ctx, q, tenant, subject.Revision)
		if err != nil {
			return err
		}
		cust := customerOf(subject)
		src := seenSource{querySource: querySource{q: q, tenant: tenant}, customer: v.customer, key: cpKey, before: v.tx.At, seen: subject.CounterpartySeen}
		input := &Input{Tx: v.tx, Customer: cust}
		if since := windowSince(rs, cust, v.tx.At); since.Before(v.tx.At) {
			// Every row already stored was screened before this one: those
			// stamped the same instant, or later, belong to its window too.
			if input.Window, added, err = s.windows.view(ctx, q, w, tenant, cust.ID, since, windowUntil(rs, v.tx.At), later, after >= 0); err != nil {
				return err
			}
		}
		res := Evaluate(ctx, tenant, rs, input, src, screener)
		out = Screening{ID: uuid.New(), Decision: res.Decision, Score: res.Score, Hits: res.Hits, Failures: res.Failures, Notes: res.Notes}
		stored, err = s.store(ctx, q, tenant, v, rs, res, &out)
		return err
	})
	if err == nil && !stored {
		// Screened before: the first decision, when it was the same
		// transaction. Rows are never changed once written, so reading
		// it after the transaction is as good as within.
		err = db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
			prev, err := q.AMLTransactionByRef(ctx, db.AMLTransactionByRefParams{TenantID: tenant, TransactionRef: v.tx.ID})
			if err != nil {
				return err
			}
			if !bytes.Equal(prev.RequestHash, v.hash) {
				return apperr.New(apperr.Conflict, "transaction %q was screened before with other details", v.tx.ID).WithAPI("TRANSACTION_ALREADY_SCREENED")
			}
			out = Screening{ID: prev.ID, Decision: Outcome(prev.Decision), Score: int(prev.Score), Hits: hitsFromJSON(prev.Triggered),
				AlertID: prev.AlertID, Replayed: true}
			return nil
		})
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Screening{}, err
		}
		if db.IsUniqueViolation(err, "") {
			return Screening{}, apperr.New(apperr.Conflict, "transaction %q is being screened already", v.tx.ID).WithAPI("TRANSACTION_ALREADY_SCREENED")
		}
		return Screening{}, errf("screen: %w", err)
	}
	s.Metrics.AMLDecision(string(out.Decision), out.Replayed)
	return out, nil
}

// store writes the screened transaction, its hits and failures, and the
// alert a REVIEW or BLOCK raises, with its audit record and event, as the
// last statements of the screening's transaction. It writes nothing and
// reports false when the transactionId was screened before.
func (s *Service) store(ctx context.Context, q *db.Queries, tenant uuid.UUID, v validated, rs *RuleSet, res Result, out *Screening) (bool, error) {
	now := s.now()
	tx := v.tx
	stored := make([]storedHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		stored = append(stored, storedHit{RuleKey: h.RuleKey, Name: h.Name, Version: h.Version, Outcome: h.Outcome, Score: h.Score, Values: h.Values})
	}
	triggered, err := json.Marshal(stored)
	if err != nil {
		return false, err
	}
	notes, _ := json.Marshal(append([]string{}, res.Notes...))
	var ref *int64
	if d, ok := rs.Rates.Convert(tx.Amount, tx.Currency, ReferenceCurrency); ok {
		u := unitsOf(d)
		ref = &u
	}
	if res.Decision == Review || res.Decision == Block {
		id := uuid.New()
		out.AlertID = &id
	}
	who := actor.From(ctx)
	p := db.AMLInsertTransactionParams{
		ID: out.ID, TenantID: tenant, CustomerID: v.customer, TransactionRef: tx.ID, RequestHash: v.hash, Type: tx.Type,
		Direction: tx.Direction, Amount: tx.Amount, Currency: tx.Currency, AmountUnits: unitsOf(tx.Amount), AmountRefUnits: ref, Channel: tx.Channel,
		OccurredAt: tx.At, CounterpartyName: tx.Counterparty.Name, CounterpartyCountry: tx.Counterparty.Country,
		CounterpartyAccount: tx.Counterparty.Account, CounterpartyKey: tx.Counterparty.Key(), Decision: string(res.Decision),
		Score: int32(res.Score), Triggered: triggered, Notes: notes, RulesEvaluated: int32(res.Evaluated), RulesFailed: int32(len(res.Failures)),
		AlertID: out.AlertID, TraceID: actor.Trace(ctx), ScreenedBy: who.ID, CreatedAt: now,
	}
	hits := db.AMLInsertHitsParams{TenantID: tenant, TransactionID: out.ID, CreatedAt: now,
		HitKeys: []string{}, HitVersions: []int32{}, HitOutcomes: []string{},
		FailedRules: []uuid.UUID{}, FailedVersions: []int32{}, FailedMessages: []string{}}
	for _, h := range res.Hits {
		hits.HitKeys = append(hits.HitKeys, h.RuleKey)
		hits.HitVersions = append(hits.HitVersions, int32(h.Version))
		hits.HitOutcomes = append(hits.HitOutcomes, string(h.Outcome))
	}
	for _, f := range res.Failures {
		hits.FailedRules = append(hits.FailedRules, f.RuleID)
		hits.FailedVersions = append(hits.FailedVersions, int32(f.Version))
		hits.FailedMessages = append(hits.FailedMessages, truncate(f.Err, 2000))
	}
	withHits := len(res.Hits)+len(res.Failures) > 0
	// The last statement travels with the COMMIT: the transaction's row
	// when nothing follows it (most screenings), else its hits when no
	// alert follows them.
	lastIf := func(last bool) *db.Queries {
		if last {
			return db.Last(q)
		}
		return q
	}
	n, err := lastIf(out.AlertID == nil && !withHits).AMLInsertTransaction(ctx, p)
	if err != nil || n == 0 {
		out.AlertID = nil
		return false, err
	}
	if withHits {
		if err := lastIf(out.AlertID == nil).AMLInsertHits(ctx, hits); err != nil {
			return false, err
		}
	}
	if out.AlertID == nil {
		return true, nil
	}
	var names []string
	for _, h := range res.Hits {
		names = append(names, h.Name)
	}
	sev := severity(res.Decision, res.Score)
	alert, err := q.AMLInsertAlert(ctx, db.AMLInsertAlertParams{ID: *out.AlertID, TenantID: tenant, CustomerID: v.customer, TransactionID: out.ID,
		Decision: string(res.Decision), Severity: sev, Score: int32(res.Score), RuleNames: names, Amount: tx.Amount, Currency: tx.Currency, CreatedAt: now})
	if err != nil {
		return false, err
	}
	after := map[string]any{"customerId": v.customer, "transactionId": tx.ID, "decision": res.Decision, "severity": sev,
		"score": res.Score, "rules": names, "amount": tx.Amount.String(), "currency": tx.Currency}
	// The customer's open case, if any, takes the alert in.
	joined, err := q.AMLJoinOpenCase(ctx, db.AMLJoinOpenCaseParams{TenantID: tenant, CustomerID: v.customer, AlertID: alert.ID, EventID: uuid.New()})
	if err != nil {
		return false, err
	}
	if len(joined) > 0 {
		after["caseId"] = joined[0]
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.alert.created", EntityType: "aml_alert",
		EntityID: alert.ID.String(), ReasonCode: string(res.Decision), After: after}); err != nil {
		return false, err
	}
	after["alertId"] = alert.ID
	_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "aml.alert.created", EntityType: "aml_alert", EntityID: alert.ID.String(), Payload: after})
	return err == nil, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
