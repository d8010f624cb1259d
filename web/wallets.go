package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/customer"
	customersv "github.com/ciamhq/ciam/views/customers"
)

// walletLimits is the rule of limit overrides: registered with the
// approvals in NewDeps, and asked here how many decimals an amount has.
var walletLimits = customer.LimitsApplier{MinorUnits: catalog.MinorUnits}

// handleWalletLimits proposes new limits for a customer's active wallet:
// a four-eyes change that applies when a second employee approves it.
func (s *server) handleWalletLimits() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		walletID, err := pathID(r, "wallet", "wallet")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		// The wallet must be this customer's: the customer is read in the
		// employee's tenant, so another tenant's wallet is not found.
		d, err := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var wallet *customer.Wallet
		for i := range d.Wallets {
			if d.Wallets[i].ID == walletID {
				wallet = &d.Wallets[i]
			}
		}
		if wallet == nil {
			s.fail(w, r, apperr.New(apperr.NotFound, "no such wallet"))
			return
		}
		f := r.PostForm
		form := customersv.LimitsForm{WalletID: walletID.String(), DailyLimit: strings.TrimSpace(f.Get("dailyLimit")),
			RequiresApprovalAbove: strings.TrimSpace(f.Get("requiresApprovalAbove")), Reason: f.Get("reason"), Errors: map[string]string{}}
		title := "Change the limits of " + d.Customer.FullName() + "'s wallet"
		if wallet.Currency != "" {
			title = "Change the limits of " + d.Customer.FullName() + "'s " + wallet.Currency + " wallet"
		}
		_, err = s.Approvals.Propose(r.Context(), emp.TenantID, customer.KindWalletLimits, walletID.String(), title,
			customer.LimitsRequest{DailyLimit: form.DailyLimit, RequiresApprovalAbove: form.RequiresApprovalAbove, Reason: form.Reason}, form.Reason)
		back := "/customers/" + id.String()
		switch {
		case fieldErrors(err, form.Errors):
			s.customerPage(w, r, http.StatusUnprocessableEntity, d, false, customersv.StandingForm{}, form)
		case apperr.CodeOf(err) == apperr.Conflict:
			e, _ := apperr.As(err)
			s.flash(w, r, "error", "Not proposed: "+e.Message+".")
			s.seeOther(w, r, back)
		case err != nil:
			s.fail(w, r, err)
		default:
			s.flash(w, r, "success", "The new limits await a second employee's approval.")
			s.seeOther(w, r, back)
		}
	})
}
