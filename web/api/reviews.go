package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/kyc"
)

type reviewRequest struct {
	VerificationRequestID string `json:"verificationRequestId"`
	Decision              string `json:"decision"`
	ReviewerNotes         string `json:"reviewerNotes"`
	AdditionalChecks      []struct {
		Type        string `json:"type"`
		Result      string `json:"result"`
		PerformedAt string `json:"performedAt"`
	} `json:"additionalChecks"`
	RiskMitigation *struct {
		EnhancedMonitoring bool `json:"enhancedMonitoring"`
		TransactionLimits  *struct {
			DailyLimit            flexNumber `json:"dailyLimit"`
			RequiresApprovalAbove flexNumber `json:"requiresApprovalAbove"`
		} `json:"transactionLimits"`
	} `json:"riskMitigation"`
}

// HandleReviewDecision is POST /admin/verification/review: the decision
// the portal's review queue makes, by the tenant's backend. The API
// client is the reviewer. A HIGH-risk verification needs the
// verification:review_high_risk scope as well, as it needs a senior
// reviewer in the portal.
func (a *API) HandleReviewDecision() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		p, _ := PrincipalFrom(r.Context())
		var req reviewRequest
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		vr, err := uuid.Parse(strings.TrimSpace(req.VerificationRequestID))
		if err != nil {
			a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "verificationRequestId", Issue: "must be the id of a verification request"}))
			return
		}
		in := kyc.ReviewInput{Decision: req.Decision, Notes: req.ReviewerNotes,
			MayDecideHighRisk: slices.Contains(p.Scopes, credential.ScopeVerificationReviewHigh)}
		for _, c := range req.AdditionalChecks {
			in.AdditionalChecks = append(in.AdditionalChecks, kyc.AdditionalCheckInput{Type: c.Type, Result: c.Result, PerformedAt: c.PerformedAt})
		}
		if m := req.RiskMitigation; m != nil {
			in.RiskMitigation = &kyc.RiskMitigationInput{EnhancedMonitoring: m.EnhancedMonitoring}
			if l := m.TransactionLimits; l != nil {
				in.RiskMitigation.DailyLimit, in.RiskMitigation.RequiresApprovalAbove = string(l.DailyLimit), string(l.RequiresApprovalAbove)
			}
		}
		v, err := a.KYC.Decide(r.Context(), t.ID, vr, in)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, reviewDTO(v))
	})
}

func reviewDTO(v kyc.Verification) map[string]any {
	out := map[string]any{"verificationRequestId": v.ID, "customerId": v.CustomerID, "status": v.Status, "riskLevel": v.RiskLevel,
		"decision": v.Decision, "reviewerNotes": v.ReviewerNotes, "decidedBy": v.DecidedByName, "verificationMethod": nil, "completedAt": nil}
	if v.Method != "" {
		out["verificationMethod"] = v.Method
	}
	if v.CompletedAt != nil {
		out["completedAt"] = v.CompletedAt.UTC().Format(time.RFC3339)
	}
	checks := []map[string]any{}
	for _, c := range kyc.ParseAdditionalChecks(v.AdditionalChecks) {
		checks = append(checks, map[string]any{"type": c.Type, "result": c.Result, "performedAt": c.PerformedAt.UTC().Format(time.RFC3339)})
	}
	out["additionalChecks"] = checks
	out["riskMitigation"] = nil
	if rm := kyc.ParseRiskMitigation(v.RiskMitigation); rm != nil {
		out["riskMitigation"] = map[string]any{"enhancedMonitoring": rm.EnhancedMonitoring, "transactionLimits": map[string]any{
			"dailyLimit": fixed(rm.TransactionLimits.DailyLimit), "requiresApprovalAbove": fixed(rm.TransactionLimits.RequiresApprovalAbove)}}
	}
	return out
}

type activationRequest struct {
	CustomerID        string `json:"customerId"`
	ActivationOptions *struct {
		GenerateIBAN        *bool  `json:"generateIBAN"`
		CreateWallet        *bool  `json:"createWallet"`
		WalletCurrency      string `json:"walletCurrency"`
		SendWelcomeEmail    *bool  `json:"sendWelcomeEmail"`
		ApplyRiskMitigation *bool  `json:"applyRiskMitigation"`
	} `json:"activationOptions"`
}

// HandleActivate is POST /customer/individual/activate.
func (a *API) HandleActivate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req activationRequest
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		id, err := uuid.Parse(strings.TrimSpace(req.CustomerID))
		if err != nil {
			a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "customerId", Issue: "must be the customerId from the registration"}))
			return
		}
		opt := kyc.DefaultActivation
		if o := req.ActivationOptions; o != nil {
			set := func(dst *bool, v *bool) {
				if v != nil {
					*dst = *v
				}
			}
			set(&opt.GenerateIBAN, o.GenerateIBAN)
			set(&opt.CreateWallet, o.CreateWallet)
			set(&opt.SendWelcomeEmail, o.SendWelcomeEmail)
			set(&opt.ApplyRiskMitigation, o.ApplyRiskMitigation)
			opt.WalletCurrency = o.WalletCurrency
		}
		act, err := a.KYC.Activate(r.Context(), t.ID, id, opt)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, activationDTO(act))
	})
}

func activationDTO(act kyc.Activation) map[string]any {
	limits := map[string]any{"dailyTransactionLimit": fixed(act.DailyLimit), "requiresApprovalAbove": fixed(act.RequiresApprovalAbove),
		"source": act.LimitsSource}
	if act.MonthlyLimit != nil {
		limits["monthlyTransactionLimit"] = fixed(act.MonthlyLimit)
	}
	if act.SingleTransactionLimit != nil {
		limits["singleTransactionLimit"] = fixed(act.SingleTransactionLimit)
	}
	account := map[string]any{"iban": nil, "walletId": act.WalletID, "currency": nil, "appliedLimits": limits}
	if act.IBAN != "" {
		account["iban"] = act.IBAN
	}
	if act.Currency != "" {
		account["currency"] = act.Currency
	}
	return map[string]any{"customerId": act.CustomerID, "status": act.Status, "permission": act.Permission, "verificationStatus": "VERIFIED",
		"riskLevel": act.RiskLevel, "enhancedMonitoring": act.EnhancedMonitoring, "accountDetails": account,
		"activatedAt": act.ActivatedAt.UTC().Format(time.RFC3339)}
}

// fixed is an amount as the API writes it: a decimal string with two
// places, or null.
func fixed(d *decimal.Decimal) any {
	if d == nil {
		return nil
	}
	return d.StringFixed(2)
}
