package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/customer"
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

	// Identity.
	if d, ok := latest["IDENTITY_DOCUMENT"]; ok {
		results = append(results, identityCheck(d, cust, now))
	} else {
		results = append(results, CheckResult{Kind: CheckIdentity, Status: Failed, Evidence: map[string]any{"reason": "no identity document"}})
	}
	// Address.
	if d, ok := latest["PROOF_OF_ADDRESS"]; ok {
		var md Metadata
		_ = json.Unmarshal(d.Metadata, &md)
		maxAge := 0
		if i := slices.IndexFunc(reqs, func(r Requirement) bool { return r.Type == "PROOF_OF_ADDRESS" }); i >= 0 {
			maxAge = reqs[i].MaxAgeDays
		}
		ok := addressMatches(md, cust.Address, now, maxAge)
		st := Failed
		if ok {
			st = Passed
		}
		results = append(results, CheckResult{Kind: CheckAddress, Status: st, Evidence: map[string]any{
			"documentId": d.ID, "issueDate": md.IssueDate, "maxAgeDays": maxAge, "documentAddress": md.Address,
			"registeredAddress": cust.Address, "verified": ok}})
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
		sr, err := s.Screener.ScreenPerson(ctx, tenant, Person{CustomerID: cust.ID, Name: cust.FullName(), DateOfBirth: cust.DateOfBirth, Country: cust.Nationality})
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
		ev := map[string]any{"listsChecked": sr.ListsChecked, "result": sr.Evidence, "sanctions": sr.Sanctions, "pep": sr.PEP}
		results = append(results, CheckResult{Kind: CheckSanctions, Status: san, Evidence: ev}, CheckResult{Kind: CheckPEP, Status: pep, Evidence: ev})
	}
	// Selfie.
	if d, ok := latest["SELFIE"]; ok {
		ev := map[string]any{"documentId": d.ID, "readable": true, "width": d.Width, "height": d.Height}
		st := NotChecked
		if s.Faces == nil {
			ev["faceMatch"] = NotChecked
			ev["liveness"] = NotChecked
			ev["reason"] = "no KYC-provider connector: face match and liveness were not checked"
		} else {
			st = Passed // the connector's score lands here when one exists
		}
		results = append(results, CheckResult{Kind: CheckSelfie, Status: st, Evidence: ev})
	} else {
		results = append(results, CheckResult{Kind: CheckSelfie, Status: NotRequired, Evidence: map[string]any{"reason": "no selfie given"}})
	}

	return s.route(ctx, tenant, req, cust, results, len(missing) > 0, settings.SelfieUncheckedBlocks, now)
}

func identityCheck(d db.Document, cust customer.Customer, now time.Time) CheckResult {
	var md Metadata
	_ = json.Unmarshal(d.Metadata, &md)
	ev := map[string]any{"documentId": d.ID, "subType": d.SubType, "documentNumber": md.DocumentNumber}
	res := CheckResult{Kind: CheckIdentity, Status: Passed, Evidence: ev}
	fail := func(reason string) {
		res.Status = Failed
		ev["failures"] = append(ev["failures"].([]string), reason)
	}
	ev["failures"] = []string{}
	name := str(md.ExtractedData, "fullName")
	if name == "" {
		name = strings.TrimSpace(str(md.ExtractedData, "firstName") + " " + str(md.ExtractedData, "lastName"))
	}
	if m, ok := ParseTD3(md.MRZ); ok {
		ev["mrz"] = map[string]any{"valid": m.Valid, "failedDigits": m.Failed, "documentNumber": m.DocumentNumber}
		if !m.Valid {
			fail("MRZ_CHECK_DIGITS")
		}
		if name == "" {
			name = m.GivenNames + " " + m.Surname
		}
		if !m.DateOfBirth.IsZero() && m.DateOfBirth.Format(time.DateOnly) != cust.DateOfBirth.Format(time.DateOnly) {
			fail("MRZ_DATE_OF_BIRTH_MISMATCH")
		}
	}
	if name == "" {
		fail("NO_NAME_ON_DOCUMENT")
	} else {
		sc, both := NameMatch(name, cust.FirstName, cust.MiddleName, cust.LastName)
		res.Score = score(sc)
		ev["nameOnDocument"] = name
		ev["registeredName"] = cust.FullName()
		ev["matchScore"] = sc
		if !both {
			fail("NAME_MISMATCH")
		}
	}
	if dob := str(md.ExtractedData, "dateOfBirth"); dob != "" && dob != cust.DateOfBirth.Format(time.DateOnly) {
		fail("DATE_OF_BIRTH_MISMATCH")
	}
	if e, ok := parseDate(md.ExpiryDate); ok {
		ev["expiryDate"] = md.ExpiryDate
		if e.Before(today(now)) {
			fail("EXPIRED")
		}
	}
	return res
}

// route stores the checks and moves the verification on.
func (s *Service) route(ctx context.Context, tenant uuid.UUID, req db.VerificationRequest, cust customer.Customer, results []CheckResult, incomplete, selfieBlocks bool, now time.Time) error {
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
		case r.Kind == CheckSelfie && r.Status == NotChecked && selfieBlocks:
			add(ReasonSelfieUnknown)
		}
	}
	if cust.RiskLevel == "HIGH" {
		add(ReasonHighRisk)
	}
	status := StatusApproved
	switch {
	case incomplete:
		status = StatusDocumentsReceived // waiting for the rest
	case len(reasons) > 0:
		status = StatusPendingReview
	}
	return db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
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
		if status != current.Status {
			return statusChanged(ctx, q, tenant, req.ID, req.CustomerID, current.Status, status, now)
		}
		return nil
	})
}
