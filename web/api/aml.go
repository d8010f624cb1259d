package api

import (
	"net/http"

	"github.com/ciamhq/ciam/internal/aml"
)

type amlCounterpartyDTO struct {
	Name    string `json:"name"`
	Country string `json:"country"`
	Account string `json:"account"`
}

type amlScreenRequest struct {
	CustomerID    string              `json:"customerId"`
	TransactionID string              `json:"transactionId"`
	Type          string              `json:"type"`
	Direction     string              `json:"direction"`
	Amount        flexNumber          `json:"amount"`
	Currency      string              `json:"currency"`
	Channel       string              `json:"channel"`
	Timestamp     string              `json:"timestamp"`
	Counterparty  *amlCounterpartyDTO `json:"counterparty"`
}

type amlTriggeredRuleDTO struct {
	RuleID  string         `json:"ruleId"`
	Name    string         `json:"name"`
	Version int            `json:"version"`
	Outcome string         `json:"outcome"`
	Score   int            `json:"score"`
	Values  map[string]any `json:"values"`
}

type amlScreenResponse struct {
	TransactionID  string                `json:"transactionId"`
	Decision       string                `json:"decision"`
	Score          int                   `json:"score"`
	TriggeredRules []amlTriggeredRuleDTO `json:"triggeredRules"`
	AlertID        *string               `json:"alertId"`
	Notes          []string              `json:"notes"`
}

// HandleAMLScreen is POST /aml/transactions/screen.
func (a *API) HandleAMLScreen() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req amlScreenRequest
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		in := aml.ScreenInput{CustomerID: req.CustomerID, TransactionID: req.TransactionID, Type: req.Type, Direction: req.Direction,
			Amount: string(req.Amount), Currency: req.Currency, Channel: req.Channel, Timestamp: req.Timestamp}
		if cp := req.Counterparty; cp != nil {
			in.Counterparty = &aml.Counterparty{Name: cp.Name, Country: cp.Country, Account: cp.Account}
		}
		s, err := a.AML.Screen(r.Context(), t.ID, in)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		out := amlScreenResponse{TransactionID: req.TransactionID, Decision: string(s.Decision), Score: s.Score,
			TriggeredRules: []amlTriggeredRuleDTO{}, Notes: append([]string{}, s.Notes...)}
		for _, h := range s.Hits {
			values := h.Values
			if values == nil {
				values = map[string]any{}
			}
			out.TriggeredRules = append(out.TriggeredRules, amlTriggeredRuleDTO{RuleID: h.RuleKey, Name: h.Name, Version: h.Version,
				Outcome: string(h.Outcome), Score: h.Score, Values: values})
		}
		if s.AlertID != nil {
			id := s.AlertID.String()
			out.AlertID = &id
		}
		if s.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		WriteData(w, http.StatusOK, out)
	})
}
