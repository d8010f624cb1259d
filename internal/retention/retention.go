// Package retention applies a tenant's retention periods: documents are
// deleted at the end of their period, and a closed customer's personal
// data is erased when theirs ends. Erasure is crypto-shredding (package
// shred): the customer's data key is destroyed, so the personal values in
// the audit trail and the events can no longer be read while the records
// and the audit hash chain stay whole; the customer's own row keeps its
// id, tenant, status (ERASED) and dates, with every personal column
// overwritten. A customer on legal hold — an open alert, an open case, a
// SAR draft, or a hold a compliance officer set — is never erased, and
// their documents are never deleted.
package retention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/shred"
)

// Periods are how long a tenant keeps things, for customers of one country.
type Periods struct {
	// Documents: a document is deleted this many days after its upload.
	DocumentDays int
	// ClosedCustomerDays: a closed customer's personal data is erased this
	// many days after the closing.
	ClosedCustomerDays int
	// DocumentsAfterClosing: the document period runs from the customer's
	// closing (the end of the relationship), not from the upload, so an
	// active customer's documents are kept.
	DocumentsAfterClosing bool
	// TransactionDays: an AML transaction is deleted this many days after
	// it took place (after the customer's closing when
	// TransactionsAfterClosing); 0 keeps transactions. Only a regulatory
	// pack sets it: the tenant's settings keep them.
	TransactionDays          int
	TransactionsAfterClosing bool
	// Source says where the periods come from, as people read it: the
	// regulatory pack and its version, or the tenant's settings.
	Source string
}

// SourceSettings is the Source of the tenant's own settings.
const SourceSettings = "the tenant's retention settings"

// Policy says the periods for a tenant's customers of a country (their
// address's country, else their nationality).
type Policy interface {
	Periods(ctx context.Context, q *db.Queries, tenant uuid.UUID, country string) (Periods, error)
}

// Default periods: five years, the AML directives' period.
const DefaultDays = 1825

// Limits of a period, in days.
const (
	MinDays = 30
	MaxDays = 36500
)

// SettingsPolicy is the default Policy: the tenant's settings, the same
// for every country.
type SettingsPolicy struct{}

// Periods implements Policy.
func (SettingsPolicy) Periods(ctx context.Context, q *db.Queries, tenant uuid.UUID, country string) (Periods, error) {
	row, err := q.RetentionSettings(ctx, tenant)
	if db.IsNotFound(err) {
		return Periods{DocumentDays: DefaultDays, ClosedCustomerDays: DefaultDays, Source: SourceSettings}, nil
	}
	if err != nil {
		return Periods{}, err
	}
	return Periods{DocumentDays: int(row.RetentionDocumentsDays), ClosedCustomerDays: int(row.RetentionClosedDays), Source: SourceSettings}, nil
}

// PackPolicy takes the periods from the regulatory pack the tenant enabled
// for the customers' country (package compliance, with the tenant's
// approved overrides): a closed customer is erased when the pack's
// "cdd_records" period after the end of the relationship has passed, and
// a document when its "documents" period has, counted from the closing
// where the pack says "relationship_end" or "account_closed" and from the
// upload where it says "record_made". Where no pack is enabled for the
// country, Fallback applies (SettingsPolicy when nil).
type PackPolicy struct {
	Packs    *compliance.Service
	Fallback Policy
}

// Periods implements Policy.
func (pp PackPolicy) Periods(ctx context.Context, q *db.Queries, tenant uuid.UUID, country string) (Periods, error) {
	fallback := pp.Fallback
	if fallback == nil {
		fallback = SettingsPolicy{}
	}
	if pp.Packs == nil {
		return fallback.Periods(ctx, q, tenant, country)
	}
	pol, ok, err := pp.Packs.RetentionIn(ctx, q, tenant, country)
	if err != nil {
		return Periods{}, err
	}
	if !ok {
		return fallback.Periods(ctx, q, tenant, country)
	}
	p := Periods{DocumentDays: pol.Retention[compliance.RecordDocuments], ClosedCustomerDays: pol.Retention[compliance.RecordCDD],
		Source: pol.PackName + " (version " + pol.Pack.Version + ")"}
	switch pol.RetentionRules[compliance.RecordDocuments].After {
	case "record_made", "upload":
	default:
		p.DocumentsAfterClosing = true
	}
	if days := pol.Retention[compliance.RecordTransactions]; days > 0 {
		p.TransactionDays = days
		switch pol.RetentionRules[compliance.RecordTransactions].After {
		case "transaction", "record_made":
		default:
			p.TransactionsAfterClosing = true
		}
	}
	// A pack without a period for a kind keeps it for the default.
	if p.DocumentDays <= 0 {
		p.DocumentDays = DefaultDays
	}
	if p.ClosedCustomerDays <= 0 {
		p.ClosedCustomerDays = DefaultDays
	}
	return p, nil
}

// Validate checks periods a tenant sets, naming the field at fault.
func (p Periods) Validate() error {
	var fe apperr.Fields
	if p.DocumentDays < MinDays || p.DocumentDays > MaxDays {
		fe.Add("documentDays", "must be between %d and %d days", MinDays, MaxDays)
	}
	if p.ClosedCustomerDays < MinDays || p.ClosedCustomerDays > MaxDays {
		fe.Add("closedCustomerDays", "must be between %d and %d days", MinDays, MaxDays)
	}
	return fe.Err()
}

// Service runs retention and erasure.
type Service struct {
	pool   *pgxpool.Pool
	keys   *shred.Keys
	store  kyc.Storage
	Policy Policy
	// IdempotencyKeep, when set, is how long the API keeps a request's
	// answer for repeats of its Idempotency-Key: each run deletes older
	// ones (they may quote a customer). Zero keeps them.
	IdempotencyKeep time.Duration
}

// NewService returns a Service deleting documents from store and
// destroying data keys of keys, with the tenant settings' policy.
func NewService(pool *pgxpool.Pool, keys *shred.Keys, store kyc.Storage) *Service {
	return &Service{pool: pool, keys: keys, store: store, Policy: SettingsPolicy{}}
}

// Hold says why a customer is on legal hold; the zero Hold is none.
type Hold struct {
	OpenAlert, SARDraft, OpenCase, Manual bool
}

// Held reports whether any hold applies.
func (h Hold) Held() bool { return h.OpenAlert || h.SARDraft || h.OpenCase || h.Manual }

// Reasons are the holds as people read them.
func (h Hold) Reasons() []string {
	var out []string
	if h.OpenAlert {
		out = append(out, "open alert")
	}
	if h.OpenCase {
		out = append(out, "open case")
	}
	if h.SARDraft {
		out = append(out, "SAR draft")
	}
	if h.Manual {
		out = append(out, "legal hold")
	}
	return out
}

func holdOf(q *db.Queries, ctx context.Context, tenant, customer uuid.UUID) (Hold, error) {
	r, err := q.CustomerHoldReasons(ctx, db.CustomerHoldReasonsParams{TenantID: tenant, CustomerID: customer})
	if err != nil {
		return Hold{}, err
	}
	return Hold{OpenAlert: r.OpenAlerts > 0, SARDraft: r.SarDrafts > 0, OpenCase: r.OpenCases > 0, Manual: r.ManualHolds > 0}, nil
}

// DueCustomer is a closed customer whose period has ended.
type DueCustomer struct {
	ID       uuid.UUID
	Name     string
	ClosedAt time.Time
	Hold     Hold
}

// DueDocument is a document whose period has ended.
type DueDocument struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Customer   string
	Type       string
	UploadedAt time.Time
	Hold       Hold
	// Country is the customer's, whose periods made it due.
	Country string
}

// Plan is what a run at a time would do in one tenant: the customers to
// erase and documents to delete, each with its holds (a held one stays),
// and how many transactions it would delete and keep.
type Plan struct {
	Customers                         []DueCustomer
	Documents                         []DueDocument
	TransactionsDue, TransactionsHeld int
	// Periods are the periods applied, by country of the tenant's
	// customers ("" for customers with none).
	Periods map[string]Periods
}

// Counts sums a plan up.
type Counts struct {
	CustomersDue, CustomersHeld, DocumentsDue, DocumentsHeld int
	TransactionsDue, TransactionsHeld                        int
}

// Counts of the plan.
func (p Plan) Counts() Counts {
	c := Counts{TransactionsDue: p.TransactionsDue, TransactionsHeld: p.TransactionsHeld}
	for _, x := range p.Customers {
		if x.Hold.Held() {
			c.CustomersHeld++
		} else {
			c.CustomersDue++
		}
	}
	for _, x := range p.Documents {
		if x.Hold.Held() {
			c.DocumentsHeld++
		} else {
			c.DocumentsDue++
		}
	}
	return c
}

// Preview is what a run at now would do in tenant: the portal's "what the
// next run will delete".
func (s *Service) Preview(ctx context.Context, tenant uuid.UUID, now time.Time) (Plan, error) {
	var plan Plan
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		plan, err = s.plan(ctx, q, tenant, now)
		return err
	})
	if err != nil {
		return Plan{}, fmt.Errorf("retention: preview: %w", err)
	}
	return plan, nil
}

func (s *Service) plan(ctx context.Context, q *db.Queries, tenant uuid.UUID, now time.Time) (Plan, error) {
	plan := Plan{Periods: map[string]Periods{}}
	countries, err := q.RetentionCountries(ctx, tenant)
	if err != nil {
		return plan, err
	}
	for _, country := range countries {
		p, err := s.Policy.Periods(ctx, q, tenant, country)
		if err != nil {
			return plan, err
		}
		plan.Periods[country] = p
		customers, err := q.DueClosedCustomers(ctx, db.DueClosedCustomersParams{TenantID: tenant, Country: country,
			Days: int32(p.ClosedCustomerDays), Now: now})
		if err != nil {
			return plan, err
		}
		for _, c := range customers {
			plan.Customers = append(plan.Customers, DueCustomer{ID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName),
				ClosedAt: deref(c.ClosedAt), Hold: Hold{OpenAlert: c.OpenAlert, SARDraft: c.SarDraft, OpenCase: c.OpenCase, Manual: c.ManualHold}})
		}
		docs, err := q.DueDocuments(ctx, db.DueDocumentsParams{TenantID: tenant, Country: country, Days: int32(p.DocumentDays), Now: now,
			AfterClosing: p.DocumentsAfterClosing})
		if err != nil {
			return plan, err
		}
		for _, d := range docs {
			plan.Documents = append(plan.Documents, DueDocument{ID: d.ID, CustomerID: d.CustomerID, Country: country, Customer: strings.TrimSpace(d.FirstName + " " + d.LastName),
				Type: d.Type, UploadedAt: d.CreatedAt, Hold: Hold{OpenAlert: d.OpenAlert, SARDraft: d.SarDraft, OpenCase: d.OpenCase, Manual: d.ManualHold}})
		}
		if p.TransactionDays > 0 {
			n, err := q.DueTransactionCounts(ctx, db.DueTransactionCountsParams{TenantID: tenant, Country: country,
				AfterClosing: p.TransactionsAfterClosing, Cutoff: now.AddDate(0, 0, -p.TransactionDays)})
			if err != nil {
				return plan, err
			}
			plan.TransactionsDue += int(n.Due)
			plan.TransactionsHeld += int(n.Held)
		}
	}
	return plan, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Result is what a run did in one tenant.
type Result struct {
	CustomersErased, CustomersHeld, DocumentsDeleted, DocumentsHeld int
	TransactionsDeleted, TransactionsHeld                           int
	// IdempotencyKeysDeleted counts the stored API answers past
	// Service.IdempotencyKeep.
	IdempotencyKeysDeleted int
}

// RunTenant applies tenant's periods as they stand at now: deletes the
// documents and erases the closed customers that are due and not on
// hold, each in a transaction of its own, deletes the transactions past
// their period (a batch per transaction), and audits the run with its
// counts.
func (s *Service) RunTenant(ctx context.Context, tenant uuid.UUID, now time.Time) (Result, error) {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "retention", TenantID: tenant})
	plan, err := s.Preview(ctx, tenant, now)
	if err != nil {
		return Result{}, err
	}
	var res Result
	erasing := map[uuid.UUID]bool{}
	for _, c := range plan.Customers {
		if c.Hold.Held() {
			res.CustomersHeld++
			continue
		}
		if err := s.Erase(ctx, tenant, c.ID, "RETENTION_PERIOD_ENDED", now); err != nil {
			if apperr.CodeOf(err) == apperr.Conflict { // held or erased since the plan was made
				res.CustomersHeld++
				continue
			}
			return res, err
		}
		erasing[c.ID] = true
		res.CustomersErased++
	}
	for _, d := range plan.Documents {
		if erasing[d.CustomerID] {
			continue // went with the customer's erasure
		}
		if d.Hold.Held() {
			res.DocumentsHeld++
			continue
		}
		deleted, err := s.deleteDocument(ctx, tenant, d.ID, plan.Periods[d.Country], now)
		if err != nil {
			return res, err
		}
		if deleted {
			res.DocumentsDeleted++
		} else {
			res.DocumentsHeld++
		}
	}
	if s.IdempotencyKeep > 0 {
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			n, err := q.PurgeIdempotencyKeys(ctx, db.PurgeIdempotencyKeysParams{TenantID: tenant, Before: now.Add(-s.IdempotencyKeep)})
			res.IdempotencyKeysDeleted = int(n)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("retention: idempotency keys: %w", err)
		}
	}
	res.TransactionsHeld = plan.TransactionsHeld
	for country, p := range plan.Periods {
		if p.TransactionDays <= 0 {
			continue
		}
		n, err := s.deleteTransactions(ctx, tenant, country, p, now)
		res.TransactionsDeleted += n
		if err != nil {
			return res, err
		}
	}
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "retention.run", EntityType: "tenant", EntityID: tenant.String(),
			ReasonCode: "RETENTION", After: map[string]any{"at": now.UTC().Format(time.RFC3339), "customersErased": res.CustomersErased,
				"customersHeld": res.CustomersHeld, "documentsDeleted": res.DocumentsDeleted, "documentsHeld": res.DocumentsHeld,
				"transactionsDeleted": res.TransactionsDeleted, "transactionsHeld": res.TransactionsHeld,
				"idempotencyKeysDeleted": res.IdempotencyKeysDeleted}})
	})
	if err != nil {
		return res, fmt.Errorf("retention: run: %w", err)
	}
	return res, nil
}

// transactionBatch is how many transactions one database transaction
// deletes, and one audit record names.
const transactionBatch = 500

// deleteTransactions deletes the transactions of the tenant's customers
// of country past p's period at now, none that stays (an alert was raised
// on it, or its customer is on hold), a batch at a time, each batch
// audited with the ids it deleted. It returns how many it deleted.
func (s *Service) deleteTransactions(ctx context.Context, tenant uuid.UUID, country string, p Periods, now time.Time) (int, error) {
	cutoff := now.AddDate(0, 0, -p.TransactionDays)
	total := 0
	afterAt, afterID := time.Time{}, uuid.Nil
	for {
		var rows []db.DeleteDueTransactionsRow
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			if p.TransactionsAfterClosing {
				var closed []db.DeleteTransactionsAfterClosingRow
				closed, err = q.DeleteTransactionsAfterClosing(ctx, db.DeleteTransactionsAfterClosingParams{TenantID: tenant, Cutoff: cutoff,
					Country: country, MaxRows: transactionBatch})
				for _, r := range closed {
					rows = append(rows, db.DeleteDueTransactionsRow(r))
				}
			} else {
				rows, err = q.DeleteDueTransactions(ctx, db.DeleteDueTransactionsParams{TenantID: tenant, Cutoff: cutoff, AfterAt: afterAt,
					AfterID: afterID, Country: country, MaxRows: transactionBatch})
			}
			if err != nil || len(rows) == 0 {
				return err
			}
			ids := make([]string, len(rows))
			oldest, newest := rows[0].OccurredAt, rows[0].OccurredAt
			for i, r := range rows {
				ids[i] = r.ID.String()
				if r.OccurredAt.Before(oldest) {
					oldest = r.OccurredAt
				}
				if r.OccurredAt.After(newest) {
					newest = r.OccurredAt
				}
			}
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.transactions.deleted", EntityType: "tenant", EntityID: tenant.String(),
				ReasonCode: "RETENTION_PERIOD_ENDED", Before: map[string]any{"count": len(rows), "country": country, "transactionIds": ids,
					"oldest": oldest.UTC().Format(time.RFC3339), "newest": newest.UTC().Format(time.RFC3339), "periodDays": p.TransactionDays,
					"afterClosing": p.TransactionsAfterClosing}})
		})
		if err != nil {
			return total, fmt.Errorf("retention: delete transactions: %w", err)
		}
		total += len(rows)
		if len(rows) < transactionBatch {
			return total, nil
		}
		// The next batch starts past the newest deleted (RETURNING has no order).
		for _, r := range rows {
			if r.OccurredAt.After(afterAt) || r.OccurredAt.Equal(afterAt) && bytes.Compare(r.ID[:], afterID[:]) > 0 {
				afterAt, afterID = r.OccurredAt, r.ID
			}
		}
	}
}

// deleteDocument deletes one due document, unless since the plan was made
// its customer came on hold, or, when its period p runs from the closing,
// was reopened.
func (s *Service) deleteDocument(ctx context.Context, tenant, id uuid.UUID, p Periods, now time.Time) (bool, error) {
	deleted := false
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		doc, err := q.DocumentForRetention(ctx, db.DocumentForRetentionParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.DocumentsAfterClosing && (doc.CustomerStatus != "CLOSED" || doc.CustomerClosedAt == nil ||
			doc.CustomerClosedAt.AddDate(0, 0, p.DocumentDays).After(now)) {
			return nil
		}
		hold, err := holdOf(q, ctx, tenant, doc.CustomerID)
		if err != nil || hold.Held() {
			return err
		}
		if err := s.deleteDocumentInTx(ctx, q, tenant, id); err != nil {
			return err
		}
		deleted = true
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.deleted", EntityType: "document", EntityID: id.String(),
			CustomerID: doc.CustomerID, ReasonCode: "RETENTION_PERIOD_ENDED",
			Before: map[string]any{"customerId": doc.CustomerID, "type": doc.Type, "uploadedAt": doc.CreatedAt.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return false, fmt.Errorf("retention: delete document %s: %w", id, err)
	}
	return deleted, nil
}

func (s *Service) deleteDocumentInTx(ctx context.Context, q *db.Queries, tenant, id uuid.UUID) error {
	// Rows kept in PostgreSQL go in any case (a document once kept in a
	// folder has none, and the other way round).
	if err := q.DeleteDocumentChunks(ctx, db.DeleteDocumentChunksParams{TenantID: tenant, DocumentID: id}); err != nil {
		return err
	}
	if s.store != nil {
		if err := s.store.Delete(ctx, q, tenant, id); err != nil {
			return err
		}
	}
	_, err := q.DeleteDocument(ctx, db.DeleteDocumentParams{TenantID: tenant, ID: id})
	return err
}

// ErasedMarker is what an erased customer's name columns hold.
const ErasedMarker = "[erased]"

// Erase erases customer's personal data now: destroys their data key,
// overwrites their personal columns, deletes their documents,
// virtual-document values, custom compliance field values and subject
// access exports, overwrites what checks read from those documents,
// reviewers' notes, the names screening hits quote and analysts' notes on
// them, the wallets' IBANs and the values of change requests about the
// customer (cancelling a pending one), ends their sessions (forgetting
// their addresses and browsers) and disables their credentials, and
// overwrites personal values that events written before the customer had
// a data key hold in clear. The customer's row stays, status ERASED. A
// customer on legal hold is not erased (a conflict).
func (s *Service) Erase(ctx context.Context, tenant, customer uuid.UUID, reasonCode string, now time.Time) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CustomerForErasure(ctx, db.CustomerForErasureParams{TenantID: tenant, ID: customer})
		if err != nil {
			return err
		}
		if row.Status == "ERASED" {
			return apperr.New(apperr.Conflict, "the customer is already erased")
		}
		hold, err := holdOf(q, ctx, tenant, customer)
		if err != nil {
			return err
		}
		if hold.Held() {
			return apperr.New(apperr.Conflict, "the customer is on legal hold (%s) and cannot be erased", strings.Join(hold.Reasons(), ", "))
		}
		docs, err := q.CustomerDocumentIDs(ctx, db.CustomerDocumentIDsParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		for _, d := range docs {
			if err := s.deleteDocumentInTx(ctx, q, tenant, d); err != nil {
				return err
			}
		}
		if err := q.EraseVerificationChecks(ctx, db.EraseVerificationChecksParams{TenantID: tenant, CustomerID: customer}); err != nil {
			return err
		}
		if err := q.EraseReviewerNotes(ctx, db.EraseReviewerNotesParams{TenantID: tenant, CustomerID: customer, Marker: ErasedMarker}); err != nil {
			return err
		}
		if err := q.EraseScreeningHitSubjects(ctx, db.EraseScreeningHitSubjectsParams{TenantID: tenant, CustomerID: customer, Marker: ErasedMarker}); err != nil {
			return err
		}
		if err := q.EraseAlertComments(ctx, db.EraseAlertCommentsParams{TenantID: tenant, CustomerID: customer, Marker: ErasedMarker}); err != nil {
			return err
		}
		if err := q.EraseCaseNarratives(ctx, db.EraseCaseNarrativesParams{TenantID: tenant, CustomerID: customer, Marker: ErasedMarker}); err != nil {
			return err
		}
		if err := q.EraseCaseAttachments(ctx, db.EraseCaseAttachmentsParams{TenantID: tenant, CustomerID: customer, Marker: ErasedMarker}); err != nil {
			return err
		}
		if err := q.EraseWalletAccounts(ctx, db.EraseWalletAccountsParams{TenantID: tenant, CustomerID: customer}); err != nil {
			return err
		}
		requests, err := q.CustomerChangeRequests(ctx, db.CustomerChangeRequestsParams{TenantID: tenant, CustomerID: customer.String()})
		if err != nil {
			return err
		}
		for _, cr := range requests {
			payload, _ := shred.EraseJSON(cr.Payload)
			before, _ := shred.EraseJSON(cr.Before)
			after, _ := shred.EraseJSON(cr.After)
			if err := q.EraseChangeRequest(ctx, db.EraseChangeRequestParams{TenantID: tenant, ID: cr.ID, Payload: payload, Before: before,
				After: after, Now: now}); err != nil {
				return err
			}
		}
		virtual, err := q.DeleteCustomerVirtualDocuments(ctx, db.DeleteCustomerVirtualDocumentsParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		fieldValues, err := q.DeleteCustomerComplianceFieldValues(ctx, db.DeleteCustomerComplianceFieldValuesParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		exports, err := q.EraseCustomerSubjectExports(ctx, db.EraseCustomerSubjectExportsParams{TenantID: tenant, CustomerID: customer})
		if err != nil {
			return err
		}
		reason := "ERASED"
		if _, err := q.RevokeCustomerSessions(ctx, db.RevokeCustomerSessionsParams{TenantID: tenant, CustomerID: customer, Reason: &reason}); err != nil {
			return err
		}
		if err := q.EraseCustomerSessionTraces(ctx, db.EraseCustomerSessionTracesParams{TenantID: tenant, CustomerID: customer}); err != nil {
			return err
		}
		if err := q.DeletePasswordHistory(ctx, db.DeletePasswordHistoryParams{TenantID: tenant, CustomerID: customer}); err != nil {
			return err
		}
		if err := q.DisableCustomerCredential(ctx, db.DisableCustomerCredentialParams{TenantID: tenant, CustomerID: customer}); err != nil {
			return err
		}
		events, err := q.CustomerEventsForScrub(ctx, db.CustomerEventsForScrubParams{TenantID: tenant, CustomerID: customer.String()})
		if err != nil {
			return err
		}
		overwritten := 0
		for _, e := range events {
			if payload, changed := shred.EraseJSON(e.Payload); changed {
				if err := q.ScrubEventPayload(ctx, db.ScrubEventPayloadParams{TenantID: tenant, ID: e.ID, Payload: payload}); err != nil {
					return err
				}
				overwritten++
			}
		}
		if s.keys == nil {
			return errors.New("no data keys")
		}
		if err := s.keys.Destroy(ctx, q, tenant, customer, now); err != nil {
			return err
		}
		if _, err := q.EraseCustomerRow(ctx, db.EraseCustomerRowParams{TenantID: tenant, ID: customer, Marker: ErasedMarker, Now: &now}); err != nil {
			return err
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.erased", EntityType: "customer", EntityID: customer.String(),
			ReasonCode: reasonCode, Before: map[string]any{"status": row.Status},
			After: map[string]any{"status": "ERASED", "documentsDeleted": len(docs), "virtualDocumentsDeleted": virtual, "complianceFieldsDeleted": fieldValues,
				"subjectExportsDeleted": exports,
				"eventsOverwritten":     overwritten}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.erased", EntityType: "customer", EntityID: customer.String(),
			Payload: map[string]any{"customerId": customer, "timestamp": now.UTC().Format(time.RFC3339)}})
		return err
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such customer")
	}
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return err
		}
		return fmt.Errorf("retention: erase %s: %w", customer, err)
	}
	// Again after the commit: a request of this server may have cached
	// the key between the destruction and the commit.
	s.keys.Forget(customer)
	return nil
}
