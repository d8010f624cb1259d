package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
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

// RunChecks runs every automated check of verification vr, stores each
// with its evidence, and routes the verification: approved automatically,
// or to people with the reasons why, or left waiting for documents.
func (s *Service) RunChecks(ctx context.Context, tenant, vr uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "automated checks", TenantID: tenant})
	var (
		req      db.VerificationRequest
		docs     []db.Document
		settings customer.Settings
		rows     []db.KycRequirement
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		if docs, err = q.RequestDocuments(ctx, db.RequestDocumentsParams{TenantID: tenant, VerificationRequestID: vr}); err != nil {
			return err
		}
		if settings, err = customer.LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		rows, err = q.KYCRequirements(ctx, tenant)
		if err != nil {
			return err
		}
		return q.SetChecksState(ctx, db.SetChecksStateParams{TenantID: tenant, ID: vr, ChecksState: "RUNNING"})
	})
	if err != nil {
		return fmt.Errorf("kyc: checks: %w", err)
	}
	if req.Status != StatusDocumentsReceived {
		return nil // decided or reopened since the job was queued
	}
	cust, err := s.customers.Get(ctx, tenant, req.CustomerID)
	if err != nil {
		return err
	}
	now := s.now()
	country := cust.Address.Country
	if country == "" {
		country = cust.Nationality
	}
	reqs := requirementsFor(rows, country, cust.RiskLevel)
	profile := customer.ProfileOf(cust.Categorization)
	latest := map[string]db.Document{}
	for _, d := range docs { // oldest first: the latest of each type wins
		latest[d.Type] = d
	}
	var results []CheckResult

	// Requirements.
	var missing []string
	for _, r := range reqs {
		if _, ok := latest[r.Type]; r.Required && !ok {
			missing = append(missing, r.Type)
		}
	}
	reqResult := CheckResult{Kind: CheckRequirements, Status: Passed, Evidence: map[string]any{"riskLevel": cust.RiskLevel, "country": country, "missing": missing}}
	if len(missing) > 0 {
		reqResult.Status = Failed
	}
	results = append(results, reqResult)

	// What the server read from each document, sealed with it.
	evidenceOf := func(d db.Document) (*evidence.Evidence, error) { return openEvidence(s.crypt, d.ID, d.Evidence) }
	reading := s.Reader != nil

	// Identity.
	if d, ok := latest["IDENTITY_DOCUMENT"]; ok {
		ev, err := evidenceOf(d)
		if err != nil {
			return err
		}
		results = append(results, identityCheck(d, ev, reading, cust, now))
	} else {
		results = append(results, CheckResult{Kind: CheckIdentity, Status: Failed, Evidence: map[string]any{"reason": "no identity document"}})
	}
	// Address.
	if d, ok := latest["PROOF_OF_ADDRESS"]; ok {
		ev, err := evidenceOf(d)
		if err != nil {
			return err
		}
		rq, _ := accepted(rows, reqs, country, "PROOF_OF_ADDRESS")
		results = append(results, addressCheck(d, ev, reading, cust, now, rq.MaxAgeDays))
	} else {
		results = append(results, CheckResult{Kind: CheckAddress, Status: NotRequired, Evidence: map[string]any{"reason": "no proof of address required or given"}})
	}
	// Age.
	age := customer.Age(cust.DateOfBirth, now)
	ageResult := CheckResult{Kind: CheckAge, Status: Passed, Evidence: map[string]any{"age": age, "minimum": settings.MinAge}}
	if age < settings.MinAge {
		ageResult.Status = Failed
	}
	results = append(results, ageResult)
	// Sanctions and PEP.
	if s.Screener == nil {
		ev := map[string]any{"reason": "screening is not available; nothing was checked"}
		results = append(results, CheckResult{Kind: CheckSanctions, Status: NotChecked, Evidence: ev}, CheckResult{Kind: CheckPEP, Status: NotChecked, Evidence: ev})
	} else {
		sr, err := s.Screener.ScreenPerson(ctx, tenant, Person{CustomerID: cust.ID, Name: cust.FullName(), DateOfBirth: cust.DateOfBirth,
			Country: cust.Nationality, Enhanced: profile.Enhanced()})
		if err != nil {
			return fmt.Errorf("kyc: screening: %w", err)
		}
		san := map[string]string{"CLEAR": Passed, "POSSIBLE_MATCH": PossibleMatch, "MATCH": Match}[sr.Sanctions]
		pep := map[string]string{"NOT_PEP": Passed, "POSSIBLE_PEP": PossibleMatch, "PEP": Match}[sr.PEP]
		if san == "" { // no list of the kind was looked at
			san = NotChecked
		}
		if pep == "" {
			pep = NotChecked
		}
		ev := map[string]any{"listsChecked": sr.ListsChecked, "listVersions": sr.ListVersions, "result": sr.Evidence,
			"sanctions": sr.Sanctions, "pep": sr.PEP, "enhanced": profile.Enhanced()}
		results = append(results, CheckResult{Kind: CheckSanctions, Status: san, Evidence: ev}, CheckResult{Kind: CheckPEP, Status: pep, Evidence: ev})
	}
	// Selfie.
	selfieRequired := false
	if rq, ok := accepted(rows, reqs, country, "SELFIE"); ok {
		selfieRequired = rq.Required
	}
	if d, ok := latest["SELFIE"]; ok {
		var id *db.Document
		if doc, ok := latest["IDENTITY_DOCUMENT"]; ok {
			id = &doc
		}
		r, err := s.selfieCheck(ctx, tenant, d, id)
		if err != nil {
			return err
		}
		r.Evidence["required"] = selfieRequired
		results = append(results, r)
	} else {
		results = append(results, CheckResult{Kind: CheckSelfie, Status: NotRequired, Evidence: map[string]any{"reason": "no selfie given"}})
	}

	return s.route(ctx, tenant, req, cust, profile, results, len(missing) > 0, settings.SelfieUncheckedBlocks, now)
}

// route stores the checks and moves the verification on.
func (s *Service) route(ctx context.Context, tenant uuid.UUID, req db.VerificationRequest, cust customer.Customer, profile customer.Profile,
	results []CheckResult, incomplete, selfieBlocks bool, now time.Time) error {
	var reasons []string
	add := func(r string) {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	for _, r := range results {
		switch {
		case r.Kind == CheckSanctions && (r.Status == PossibleMatch || r.Status == Match):
			add(ReasonSanctions)
		case r.Kind == CheckPEP && (r.Status == PossibleMatch || r.Status == Match):
			add(ReasonPEP)
		case r.Kind == CheckRequirements:
		case r.Status == Failed:
			add(ReasonCheckFailed + "_" + r.Kind)
		case r.Status == Unreadable:
			add(ReasonUnreadable + "_" + r.Kind)
		case r.Status == NotChecked && r.Kind != CheckSelfie:
			// Nothing is approved on a check nobody made.
			add(ReasonNotChecked + "_" + r.Kind)
		case r.Kind == CheckSelfie && r.Status == NotChecked && (selfieBlocks || r.Evidence["required"] == true):
			// A required selfie nobody compared is never approved
			// automatically; an optional one as the tenant chooses.
			add(ReasonSelfieUnknown)
		}
	}
	// A possible PEP or sanctions match makes the customer HIGH risk
	// (guide 004 pairs them in its manual-review example).
	raise := slices.Contains(reasons, ReasonPEP) || slices.Contains(reasons, ReasonSanctions)
	if profile.PEP {
		add(ReasonPEPDeclared)
	}
	if profile.EDD {
		add(ReasonEDD)
	}
	if cust.RiskLevel == "HIGH" || raise {
		add(ReasonHighRisk)
	}
	status := StatusApproved
	switch {
	case incomplete:
		status = StatusDocumentsReceived // waiting for the rest
	case len(reasons) > 0:
		status = StatusPendingReview
	}
	approved := false
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		current, err := q.VerificationRequestForUpdate(ctx, db.VerificationRequestForUpdateParams{TenantID: tenant, ID: req.ID})
		if err != nil {
			return err
		}
		if current.Status != StatusDocumentsReceived {
			return nil
		}
		for _, r := range results {
			ev, _ := json.Marshal(r.Evidence)
			var sc decimal.NullDecimal
			if r.Score != nil {
				sc = decimal.NullDecimal{Decimal: decimal.NewFromFloat(*r.Score).Round(4), Valid: true}
			}
			if err := q.UpsertCheck(ctx, db.UpsertCheckParams{ID: uuid.New(), TenantID: tenant, VerificationRequestID: req.ID,
				Kind: r.Kind, Status: r.Status, Score: sc, Evidence: ev}); err != nil {
				return err
			}
		}
		if raise && cust.RiskLevel != "HIGH" {
			if err := q.RaiseCustomerRiskToHigh(ctx, db.RaiseCustomerRiskToHighParams{TenantID: tenant, ID: cust.ID, Reason: customer.ReasonPossibleListMatch}); err != nil {
				return err
			}
			if err := q.RaiseVerificationRiskToHigh(ctx, db.RaiseVerificationRiskToHighParams{TenantID: tenant, ID: req.ID}); err != nil {
				return err
			}
			if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.risk.raised", EntityType: "customer", EntityID: cust.ID.String(),
				ReasonCode: customer.ReasonPossibleListMatch, Before: map[string]any{"riskLevel": cust.RiskLevel},
				After: map[string]any{"riskLevel": "HIGH", "verificationRequestId": req.ID}}); err != nil {
				return err
			}
		}
		p := db.SetVerificationStatusParams{TenantID: tenant, ID: req.ID, Status: status, ChecksState: "DONE", ReasonsForReview: reasons}
		if reasons == nil {
			p.ReasonsForReview = []string{}
		}
		switch status {
		case StatusApproved:
			m := "AUTOMATED"
			p.VerificationMethod, p.CompletedAt = &m, &now
		case StatusPendingReview:
			team := "COMPLIANCE_TEAM"
			p.AssignedTo = &team
		}
		if _, err := q.SetVerificationStatus(ctx, p); err != nil {
			return err
		}
		if status == StatusApproved {
			if err := q.SetDocumentsStatus(ctx, db.SetDocumentsStatusParams{TenantID: tenant, VerificationRequestID: req.ID, Status: DocValid}); err != nil {
				return err
			}
		}
		approved = status == StatusApproved
		if status != current.Status {
			return statusChanged(ctx, q, tenant, req.ID, req.CustomerID, current.Status, status, now)
		}
		return nil
	})
	if err == nil && approved {
		s.autoActivate(ctx, tenant, req.CustomerID)
	}
	return err
}
