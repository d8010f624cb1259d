package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
)

// The last stage: routing and decision. From the checks' stored results
// it decides whether the verification is approved automatically, goes to
// people (with the reasons) or waits for documents; an approval activates
// the account when the tenant turned automatic activation on.

// RouteArgs is the routing stage of verification VerificationRequestID.
type RouteArgs struct {
	TenantID              uuid.UUID `json:"tenantId"`
	VerificationRequestID uuid.UUID `json:"verificationRequestId"`
}

// Kind names the job.
func (RouteArgs) Kind() string { return "kyc.route" }

// RouteWorker runs RouteArgs jobs.
type RouteWorker struct {
	river.WorkerDefaults[RouteArgs]
	S *Service
}

// Work routes the verification.
func (w *RouteWorker) Work(ctx context.Context, job *river.Job[RouteArgs]) error {
	return w.S.Route(ctx, job.Args.TenantID, job.Args.VerificationRequestID)
}

// Route reads verification vr's checks and routes it.
func (s *Service) Route(ctx context.Context, tenant, vr uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "automated checks", TenantID: tenant})
	var (
		req      db.VerificationRequest
		stored   []db.VerificationCheck
		settings customer.Settings
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if req, err = q.VerificationRequest(ctx, db.VerificationRequestParams{TenantID: tenant, ID: vr}); err != nil {
			return err
		}
		if stored, err = q.RequestChecks(ctx, db.RequestChecksParams{TenantID: tenant, VerificationRequestID: vr}); err != nil {
			return err
		}
		settings, err = customer.LoadSettings(ctx, q, tenant)
		return err
	})
	if err != nil {
		return fmt.Errorf("kyc: route: %w", err)
	}
	if req.Status != StatusDocumentsReceived {
		return nil
	}
	cust, err := s.customers.Get(ctx, tenant, req.CustomerID)
	if err != nil {
		return err
	}
	var results []CheckResult
	incomplete := false
	for _, c := range stored {
		sc := storedCheck(c)
		results = append(results, CheckResult{Kind: sc.Kind, Status: sc.Status, Score: sc.Score, Evidence: sc.Evidence})
		if sc.Kind == CheckRequirements && sc.Status == Failed {
			incomplete = true
		}
	}
	return s.route(ctx, tenant, req, cust, customer.ProfileOf(cust.Categorization), results, incomplete, settings.SelfieUncheckedBlocks, s.now())
}

// route moves the verification on from its checks' results: approved
// automatically only when every check passed on evidence, to people with
// the reasons why otherwise, or left waiting for documents still missing.
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
	// The pack in force for the customer, and its EDD triggers.
	var pack json.RawMessage
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		risk := cust.RiskLevel
		if raise {
			risk = "HIGH"
		}
		var edd bool
		var err error
		pack, edd, err = s.packInForce(ctx, q, tenant, cust.ID, risk, profile.PEP || slices.Contains(reasons, ReasonPEP))
		if edd {
			add(ReasonEDD)
		}
		return err
	})
	if err != nil {
		return err
	}
	status := StatusApproved
	switch {
	case incomplete:
		status = StatusDocumentsReceived // waiting for the rest
	case len(reasons) > 0:
		status = StatusPendingReview
	}
	approved := false
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		current, err := q.VerificationRequestForUpdate(ctx, db.VerificationRequestForUpdateParams{TenantID: tenant, ID: req.ID})
		if err != nil {
			return err
		}
		if current.Status != StatusDocumentsReceived {
			return nil
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
		var extra map[string]any
		if status != StatusDocumentsReceived {
			// A decision (automatic, or to people): the pack it was made under.
			if err := q.SetVerificationCompliancePack(ctx, db.SetVerificationCompliancePackParams{TenantID: tenant, ID: req.ID, CompliancePack: pack}); err != nil {
				return err
			}
			extra = map[string]any{"compliancePack": pack, "reasonsForReview": p.ReasonsForReview}
		}
		if status != current.Status {
			return statusChangedWith(ctx, q, tenant, req.ID, req.CustomerID, current.Status, status, now, extra)
		}
		return nil
	})
	if err == nil && approved {
		s.autoActivate(ctx, tenant, req.CustomerID)
	}
	return err
}
