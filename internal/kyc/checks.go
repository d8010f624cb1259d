package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/evidence"
)

// Check kinds.
const (
	CheckIdentity     = "IDENTITY"
	CheckAddress      = "ADDRESS"
	CheckAge          = "AGE"
	CheckSanctions    = "SANCTIONS"
	CheckPEP          = "PEP"
	CheckSelfie       = "SELFIE"
	CheckRequirements = "REQUIREMENTS"
)

// Check statuses.
const (
	Passed        = "PASSED"
	Failed        = "FAILED"
	NotChecked    = "NOT_CHECKED"
	NotRequired   = "NOT_REQUIRED"
	PossibleMatch = "POSSIBLE_MATCH"
	Match         = "MATCH"
)

// Reasons for review, as API.md names them.
const (
	ReasonPEP           = "PEP_MATCH_POSSIBLE"
	ReasonSanctions     = "SANCTIONS_MATCH_POSSIBLE"
	ReasonHighRisk      = "HIGH_RISK_CATEGORY"
	ReasonCheckFailed   = "CHECK_FAILED"
	ReasonSelfieUnknown = "SELFIE_NOT_CHECKED"
	ReasonUnreadable    = "UNREADABLE"
	ReasonNotChecked    = "NOT_CHECKED"
	// The customer's categorisation declares a PEP (pep: true), or asks
	// for enhanced due diligence (edd: true): people decide.
	ReasonPEPDeclared = "PEP_DECLARED"
	ReasonEDD         = "ENHANCED_DUE_DILIGENCE"
)

// CheckArgs is the job that runs a verification's automated checks.
type CheckArgs struct {
	TenantID              uuid.UUID `json:"tenantId"`
	VerificationRequestID uuid.UUID `json:"verificationRequestId"`
}

// Kind names the job.
func (CheckArgs) Kind() string { return "kyc.check" }

// CheckWorker runs CheckArgs jobs.
type CheckWorker struct {
	river.WorkerDefaults[CheckArgs]
	S *Service
}

// Work runs the checks.
func (w *CheckWorker) Work(ctx context.Context, job *river.Job[CheckArgs]) error {
	return w.S.RunChecks(ctx, job.Args.TenantID, job.Args.VerificationRequestID)
}

// CheckResult is one check's outcome with its evidence.
type CheckResult struct {
	Kind     string
	Status   string
	Score    *float64
	Evidence map[string]any
}

func score(v float64) *float64 { return &v }

// checkInput is what every check may look at: the verification, the
// customer, their requirements, and the latest document of each type with
// what the server read from it.
type checkInput struct {
	tenant   uuid.UUID
	req      db.VerificationRequest
	cust     customer.Customer
	profile  customer.Profile
	settings customer.Settings
	rows     []db.KycRequirement
	reqs     []Requirement
	country  string
	latest   map[string]db.Document
	now      time.Time
	reading  bool // documents are read on this server
	open     func(d db.Document) (*evidence.Evidence, error)
}

// requirement is what governs documents of type t for this customer.
func (in *checkInput) requirement(t string) (Requirement, bool) {
	return accepted(in.rows, in.reqs, in.cust.CIPTag, in.country, t)
}

// A check turns the input into results (the screening check gives two:
// sanctions and PEP). Each check is a file of its own; a new one is a new
// file and a line in checks.
type check func(ctx context.Context, s *Service, in *checkInput) ([]CheckResult, error)

// checks run in this order; each result is stored as it completes, so
// status answers show the checks one by one.
var checks = []check{requirementsCheck, identityStage, addressStage, ageCheck, screeningCheck, selfieStage}

// RunChecks is the checks stage: it runs every check of verification vr,
// storing each result with its evidence as it completes, and queues the
// routing.
func (s *Service) RunChecks(ctx context.Context, tenant, vr uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "automated checks", TenantID: tenant})
	in := &checkInput{tenant: tenant, now: s.now(), reading: s.Reader != nil,
		open: func(d db.Document) (*evidence.Evidence, error) { return openEvidence(s.crypt, d.ID, d.Evidence) }}
	var docs []db.Document
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if in.req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		if docs, err = q.RequestDocuments(ctx, db.RequestDocumentsParams{TenantID: tenant, VerificationRequestID: vr}); err != nil {
			return err
		}
		if in.settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		if in.rows, err = q.KYCRequirements(ctx, tenant); err != nil {
			return err
		}
		return q.SetChecksState(ctx, db.SetChecksStateParams{TenantID: tenant, ID: vr, ChecksState: "RUNNING"})
	})
	if err != nil {
		return fmt.Errorf("kyc: checks: %w", err)
	}
	if in.req.Status != StatusDocumentsReceived {
		return nil // decided or reopened since the job was queued
	}
	if in.cust, err = s.customers.Get(ctx, tenant, in.req.CustomerID); err != nil {
		return err
	}
	in.country = in.cust.Address.Country
	if in.country == "" {
		in.country = in.cust.Nationality
	}
	in.reqs = requirementsFor(in.rows, in.cust.CIPTag, in.country, in.cust.RiskLevel)
	in.profile = customer.ProfileOf(in.cust.Categorization)
	in.latest = latestOfEachType(docs)
	if err := s.ensureFaces(ctx, tenant, in.latest); err != nil {
		return err
	}
	for _, c := range checks {
		results, err := c(ctx, s, in)
		if err != nil {
			return err
		}
		if err := s.storeChecks(ctx, tenant, vr, results); err != nil {
			return err
		}
	}
	return s.next(ctx, tenant, vr, RouteArgs{TenantID: tenant, VerificationRequestID: vr}, func() error { return s.Route(ctx, tenant, vr) })
}

// storeChecks stores results of verification vr while it still waits for
// its checks.
func (s *Service) storeChecks(ctx context.Context, tenant, vr uuid.UUID, results []CheckResult) error {
	return db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		for _, r := range results {
			ev, err := json.Marshal(r.Evidence)
			if err != nil {
				return err
			}
			var sc decimal.NullDecimal
			if r.Score != nil {
				sc = decimal.NullDecimal{Decimal: decimal.NewFromFloat(*r.Score).Round(4), Valid: true}
			}
			if err := q.UpsertCheck(ctx, db.UpsertCheckParams{ID: uuid.New(), TenantID: tenant, VerificationRequestID: vr,
				Kind: r.Kind, Status: r.Status, Score: sc, Evidence: ev}); err != nil {
				return err
			}
		}
		return nil
	})
}
