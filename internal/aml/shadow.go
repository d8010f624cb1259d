package aml

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// A shadow run evaluates one version of a rule over the transactions
// stored in the last N days, as if it had been active, and changes
// nothing: it says how often it would have triggered (and how often the
// version in force did, for comparison), on how many customers, with
// examples. Each stored transaction is replayed with the history it had
// then — the customer's earlier transactions only — so velocity and
// dormancy come out as they would have. The tenant's current lists and
// rates apply.

// Shadow run statuses.
const (
	ShadowQueued  = "QUEUED"
	ShadowRunning = "RUNNING"
	ShadowDone    = "DONE"
	ShadowFailed  = "FAILED"
)

// maxExamples is how many triggering transactions a run keeps.
const maxExamples = 20

// DayCount is one day's hits of a shadow run (days in UTC).
type DayCount struct {
	Day  string `json:"day"`
	Hits int    `json:"hits"`
}

// ShadowExample is a transaction the version would have triggered on.
type ShadowExample struct {
	TransactionID string         `json:"transactionId"`
	CustomerID    uuid.UUID      `json:"customerId"`
	At            time.Time      `json:"at"`
	Amount        string         `json:"amount"`
	Currency      string         `json:"currency"`
	Values        map[string]any `json:"values"`
}

// ShadowRun is a shadow run and its results so far.
type ShadowRun struct {
	ID            uuid.UUID
	RuleID        uuid.UUID
	Version       int
	Days          int
	Status        string
	From, To      time.Time
	Total         int
	Processed     int
	Hits          int
	Customers     int
	Errors        int
	ActiveVersion *int
	ActiveHits    *int
	ByDay         []DayCount
	Examples      []ShadowExample
	LastError     string
	RequestedBy   string
	CreatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
}

// Finished reports whether the run has ended.
func (r ShadowRun) Finished() bool { return r.Status == ShadowDone || r.Status == ShadowFailed }

// Percent is the run's progress.
func (r ShadowRun) Percent() int {
	if r.Finished() {
		return 100
	}
	if r.Total == 0 {
		return 0
	}
	return min(99, r.Processed*100/r.Total)
}

func shadowOf(r db.AmlShadowRun) ShadowRun {
	out := ShadowRun{ID: r.ID, RuleID: r.RuleID, Version: int(r.Version), Days: int(r.Days), Status: r.Status, From: r.PeriodFrom, To: r.PeriodTo,
		Total: int(r.Total), Processed: int(r.Processed), Hits: int(r.Hits), Customers: int(r.Customers), Errors: int(r.Errors),
		LastError: r.LastError, RequestedBy: r.RequestedBy, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	if r.ActiveVersion != nil {
		v := int(*r.ActiveVersion)
		out.ActiveVersion = &v
	}
	if r.ActiveHits != nil {
		v := int(*r.ActiveHits)
		out.ActiveHits = &v
	}
	_ = json.Unmarshal(r.ByDay, &out.ByDay)
	_ = json.Unmarshal(r.Examples, &out.Examples)
	return out
}

// ShadowArgs is the job of one shadow run.
type ShadowArgs struct {
	TenantID uuid.UUID `json:"tenantId"`
	RunID    uuid.UUID `json:"runId"`
}

// Kind implements river.JobArgs.
func (ShadowArgs) Kind() string { return "aml.shadow_run" }

// ShadowWorker runs ShadowArgs jobs.
type ShadowWorker struct {
	river.WorkerDefaults[ShadowArgs]
	S *Service
}

// Work runs the shadow run.
func (w *ShadowWorker) Work(ctx context.Context, job *river.Job[ShadowArgs]) error {
	return w.S.RunShadow(ctx, job.Args.TenantID, job.Args.RunID)
}

// Timeout lets long runs finish: progress is saved as they go.
func (w *ShadowWorker) Timeout(*river.Job[ShadowArgs]) time.Duration { return time.Hour }

// StartShadowRun starts a shadow run of version of rule over the last days
// days: queued as a job when the queue runs, run at once otherwise.
func (s *Service) StartShadowRun(ctx context.Context, tenant, rule uuid.UUID, version, days int) (ShadowRun, error) {
	if days < 1 || days > 365 {
		return ShadowRun{}, apperr.Validation(apperr.FieldError{Field: "days", Issue: "must be from 1 to 365"})
	}
	now := s.now()
	who := actor.From(ctx)
	var out ShadowRun
	err := db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
		r, err := q.AMLRule(ctx, db.AMLRuleParams{TenantID: tenant, ID: rule})
		if err != nil {
			return err
		}
		v, err := q.AMLVersion(ctx, db.AMLVersionParams{TenantID: tenant, RuleID: rule, Version: int32(version)})
		if db.IsNotFound(err) {
			return apperr.Validation(apperr.FieldError{Field: "version", Issue: fmt.Sprintf("the rule has no version %d", version)})
		}
		if err != nil {
			return err
		}
		if iss := s.compiler.Check(v.Expression); len(iss) > 0 {
			return apperr.Validation(apperr.FieldError{Field: "version", Issue: "the condition does not compile: " + iss.Error()})
		}
		var active *int32
		if r.ActiveVersion != nil && *r.ActiveVersion != v.Version {
			active = r.ActiveVersion
		}
		row, err := q.AMLInsertShadowRun(ctx, db.AMLInsertShadowRunParams{ID: uuid.New(), TenantID: tenant, RuleID: rule, Version: v.Version,
			Days: int32(days), PeriodFrom: now.AddDate(0, 0, -days), PeriodTo: now, ActiveVersion: active, RequestedBy: who.Name})
		if err != nil {
			return err
		}
		out = shadowOf(row)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.shadow.requested", EntityType: TargetType, EntityID: rule.String(),
			ReasonCode: "SHADOW_RUN", After: map[string]any{"runId": row.ID, "version": version, "days": days}}); err != nil {
			return err
		}
		if s.Jobs != nil {
			_, err = s.Jobs.InsertTx(ctx, tx, ShadowArgs{TenantID: tenant, RunID: row.ID}, &river.InsertOpts{MaxAttempts: 3})
		}
		return err
	})
	if db.IsNotFound(err) {
		return ShadowRun{}, errRuleNotFound()
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return ShadowRun{}, err
		}
		return ShadowRun{}, errf("start shadow run: %w", err)
	}
	if s.Jobs == nil {
		if err := s.RunShadow(ctx, tenant, out.ID); err != nil {
			return ShadowRun{}, err
		}
		return s.ShadowRun(ctx, tenant, out.ID)
	}
	return out, nil
}

// ShadowRun returns one run.
func (s *Service) ShadowRun(ctx context.Context, tenant, id uuid.UUID) (ShadowRun, error) {
	var out ShadowRun
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AMLShadowRun(ctx, db.AMLShadowRunParams{TenantID: tenant, ID: id})
		out = shadowOf(r)
		return err
	})
	if db.IsNotFound(err) {
		return ShadowRun{}, apperr.New(apperr.NotFound, "no such shadow run")
	}
	if err != nil {
		return ShadowRun{}, errf("shadow run: %w", err)
	}
	return out, nil
}

// shadowState is a run's tallies as it goes.
type shadowState struct {
	processed, hits, errors, activeHits, customers int
	byDay                                          map[string]int
	examples                                       []ShadowExample
	lastError                                      string
}

// progressEvery is how many transactions go between progress saves.
const progressEvery = 500

// RunShadow does the work of a shadow run, saving progress as it goes.
// A run that has ended is left alone, so a retried job does nothing twice.
func (s *Service) RunShadow(ctx context.Context, tenant, id uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "shadow run", TenantID: tenant})
	var (
		run             db.AmlShadowRun
		draft, inForce  *RuleSet
		customers       []uuid.UUID
		total           int64
		draftCompileErr string
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if run, err = q.AMLShadowRun(ctx, db.AMLShadowRunParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		if run.Status == ShadowDone || run.Status == ShadowFailed {
			return nil
		}
		rates, lists, err := s.ratesAndLists(ctx, q, tenant)
		if err != nil {
			return err
		}
		set := func(version int32) (*RuleSet, error) {
			v, err := q.AMLVersion(ctx, db.AMLVersionParams{TenantID: tenant, RuleID: run.RuleID, Version: version})
			if err != nil {
				return nil, err
			}
			return s.compiler.NewRuleSet(0, []ActiveRule{{ID: run.RuleID, Version: int(version), Def: definitionOf(v)}}, rates, lists), nil
		}
		if draft, err = set(run.Version); err != nil {
			return err
		}
		draftCompileErr = draft.Rules[0].compileErr
		if run.ActiveVersion != nil {
			if inForce, err = set(*run.ActiveVersion); err != nil {
				return err
			}
		}
		if total, err = q.AMLShadowCount(ctx, db.AMLShadowCountParams{TenantID: tenant, Since: run.PeriodFrom, Until: run.PeriodTo}); err != nil {
			return err
		}
		if customers, err = q.AMLShadowCustomers(ctx, db.AMLShadowCustomersParams{TenantID: tenant, Since: run.PeriodFrom, Until: run.PeriodTo}); err != nil {
			return err
		}
		return q.AMLShadowStart(ctx, db.AMLShadowStartParams{TenantID: tenant, ID: id, Total: int32(total)})
	})
	if err != nil {
		return errf("shadow run: %w", err)
	}
	if run.Status == ShadowDone || run.Status == ShadowFailed {
		return nil
	}
	st := &shadowState{byDay: map[string]int{}}
	if draftCompileErr != "" {
		st.lastError = draftCompileErr
		return s.finishShadow(ctx, tenant, id, ShadowFailed, st, inForce != nil)
	}
	window := draft.window
	if inForce != nil {
		window = max(window, inForce.window)
	}
	for _, cust := range customers {
		if err := ctx.Err(); err != nil {
			return err
		}
		before := st.processed
		err := s.shadowCustomer(ctx, tenant, run, cust, window, draft, inForce, st)
		if err != nil {
			st.lastError = err.Error()
			_ = s.finishShadow(ctx, tenant, id, ShadowFailed, st, inForce != nil)
			return errf("shadow run: customer %s: %w", cust, err)
		}
		if st.processed/progressEvery != before/progressEvery {
			s.saveProgress(ctx, tenant, id, st, inForce != nil)
		}
	}
	return s.finishShadow(ctx, tenant, id, ShadowDone, st, inForce != nil)
}

// shadowCustomer replays one customer's transactions of the period. The
// rows are read first; evaluation holds no transaction (what a rule looks
// up it reads on its own, and so may the counterparty screening).
func (s *Service) shadowCustomer(ctx context.Context, tenant uuid.UUID, run db.AmlShadowRun, id uuid.UUID,
	window time.Duration, draft, inForce *RuleSet, st *shadowState) error {
	var (
		subject db.AMLScreenSubjectRow
		rows    []db.AMLShadowCustomerTransactionsRow
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if subject, err = q.AMLScreenSubject(ctx, db.AMLScreenSubjectParams{TenantID: tenant, ID: id, After: -1}); err != nil {
			return err
		}
		rows, err = q.AMLShadowCustomerTransactions(ctx, db.AMLShadowCustomerTransactionsParams{TenantID: tenant, CustomerID: id,
			Since: run.PeriodFrom.Add(-window), Until: run.PeriodTo})
		return err
	})
	if err != nil {
		return err
	}
	cust := customerOf(subject)
	past := make([]Past, len(rows))
	for i, r := range rows {
		past[i] = pastOf(r.OccurredAt, r.Direction, r.Type, r.Channel, r.Currency, r.AmountUnits, r.AmountRefUnits, r.CounterpartyKey, r.CounterpartyCountry)
	}
	src := poolSource{s: s, tenant: tenant}
	hit := false
	for _, r := range rows {
		if r.OccurredAt.Before(run.PeriodFrom) {
			continue
		}
		// The transactions screened before this one, as in live
		// screening: those of the same instant or stamped later count
		// when they arrived first.
		window := make([]Past, 0, len(past))
		for k, p := range past {
			if rows[k].Seq < r.Seq {
				window = append(window, p)
			}
		}
		in := &Input{Customer: cust, Window: window, Tx: Transaction{ID: r.TransactionRef, Type: r.Type, Direction: r.Direction,
			Channel: r.Channel, Currency: r.Currency, Amount: r.Amount, At: r.OccurredAt,
			Counterparty: Counterparty{Name: r.CounterpartyName, Country: r.CounterpartyCountry, Account: r.CounterpartyAccount}}}
		screener := s.prescreen(ctx, tenant, in.Tx.Counterparty)
		res := Evaluate(ctx, tenant, draft, in, src, screener)
		st.processed++
		if len(res.Failures) > 0 {
			st.errors++
			st.lastError = res.Failures[0].Err
		}
		if len(res.Hits) > 0 {
			st.hits++
			hit = true
			st.byDay[r.OccurredAt.UTC().Format(time.DateOnly)]++
			if len(st.examples) < maxExamples {
				st.examples = append(st.examples, ShadowExample{TransactionID: r.TransactionRef, CustomerID: id, At: r.OccurredAt,
					Amount: r.Amount.String(), Currency: r.Currency, Values: res.Hits[0].Values})
			}
		}
		if inForce != nil {
			if res := Evaluate(ctx, tenant, inForce, in, src, screener); len(res.Hits) > 0 {
				st.activeHits++
			}
		}
	}
	if hit {
		st.customers++
	}
	return nil
}

func (st *shadowState) activeHitsPtr(compare bool) *int32 {
	if !compare {
		return nil
	}
	n := int32(st.activeHits)
	return &n
}

func (s *Service) saveProgress(ctx context.Context, tenant, id uuid.UUID, st *shadowState, compare bool) {
	_ = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return q.AMLShadowProgress(ctx, db.AMLShadowProgressParams{TenantID: tenant, ID: id, Processed: int32(st.processed),
			Hits: int32(st.hits), Errors: int32(st.errors), ActiveHits: st.activeHitsPtr(compare)})
	})
}

func (s *Service) finishShadow(ctx context.Context, tenant, id uuid.UUID, status string, st *shadowState, compare bool) error {
	var days []DayCount
	for d, n := range st.byDay {
		days = append(days, DayCount{Day: d, Hits: n})
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Day < days[j].Day })
	byDay, _ := json.Marshal(append([]DayCount{}, days...))
	examples, _ := json.Marshal(append([]ShadowExample{}, st.examples...))
	err := db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
		return q.AMLShadowFinish(ctx, db.AMLShadowFinishParams{TenantID: tenant, ID: id, Status: status, Processed: int32(st.processed),
			Hits: int32(st.hits), Customers: int32(st.customers), Errors: int32(st.errors), ActiveHits: st.activeHitsPtr(compare),
			ByDay: byDay, Examples: examples, LastError: truncate(st.lastError, 2000)})
	})
	if err != nil {
		return errf("finish shadow run: %w", err)
	}
	return nil
}
