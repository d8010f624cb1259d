package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
	customersv "github.com/ciamhq/ciam/views/customers"
	"github.com/ciamhq/ciam/views/labels"
)

// customerPageSize is how many customers a search page lists.
const customerPageSize = 50

func options(values []string) []customersv.Option {
	out := make([]customersv.Option, 0, len(values))
	for _, v := range values {
		out = append(out, customersv.Option{Value: v, Label: v})
	}
	return out
}

func (s *server) handleCustomerSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		view := customersv.Search{
			Filter: customersv.Filter{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Risk: q.Get("risk"),
				Permission: q.Get("permission"), Sort: q.Get("sort")},
			Errors:   map[string]string{},
			Statuses: options(customer.Statuses), Risks: options(customer.RiskLevels), Permissions: options(customer.Permissions),
			Sorts: []customersv.Option{{Value: customer.SortNewest, Label: "Newest first"}, {Value: customer.SortName, Label: "Name (A–Z)"}},
			Loc:   t.Location(), Now: s.Now(),
		}
		if view.Filter.Sort == "" {
			view.Filter.Sort = customer.SortNewest
		}
		f := customerSearchFilter(q)
		f.Limit = pageSize(q, customerPageSize)
		if a := q.Get("after"); a != "" {
			id, err := uuid.Parse(a)
			if err != nil {
				s.fail(w, r, apperr.New(apperr.Malformed, "the page cursor is not valid"))
				return
			}
			f.After = id
		}
		status := http.StatusOK
		res, err := s.Customers.Search(r.Context(), emp.TenantID, f)
		if fieldErrors(err, view.Errors) {
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		if res.QueryIgnored {
			view.QueryHint = fmt.Sprintf("Type at least %d characters of a name, e-mail address or phone number; until then every customer is listed.", customer.MinQueryLength)
		}
		seen := piiView(emp)
		for _, c := range res.Customers {
			view.Rows = append(view.Rows, customersv.Row{ID: c.ID.String(), ShortID: c.ID.String()[:8], Name: c.FullName(), Email: seen.Show(pii.Email, c.Email),
				Country: c.Nationality, CountryName: "Nationality: " + customer.CountryName(c.Nationality), Status: c.Status,
				Risk: c.RiskLevel, Permission: c.Permission, Created: c.CreatedAt})
		}
		next := ""
		if res.Next != uuid.Nil {
			next = res.Next.String()
		}
		// Keyset-paged for speed at a million customers: numbered are the
		// pages whose cursors the links carry.
		view.Pager = keysetPager(r.URL, keysetFrom(q, "after", validUUID), res.Total, len(view.Rows), f.Limit, next)
		view.Pager.TotalCapped = res.TotalCapped
		view.Pager.NextLabel = "Next →"
		view.Pager.Sizes = sizeLinks(r.URL, f.Limit, customerPageSize, "after", "trail")
		view.Pager.ExportURL = exportURL(r.URL, "/customers/export.csv", "after", "trail")
		s.page(w, r, status, "Customers", "customers", customersv.SearchPage(view))
	})
}

// validUUID reports whether s is a UUID: a customer list's cursor.
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// customerID reads the {id} of a customer route; anything that is not an
// id is a customer that does not exist.
func customerID(r *http.Request) (uuid.UUID, error) {
	return pathID(r, "id", "customer")
}

func (s *server) handleCustomerShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d, err := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// Unmasked only right after the reveal the POST audited, and only
		// for the customer it named.
		var revealFor string
		if _, err := s.takeReveal(r.Context(), revealCustomerPII, &revealFor); err != nil {
			s.fail(w, r, err)
			return
		}
		revealed := revealFor == id.String() && emp.Can(staff.PermCustomersPII)
		s.customerPage(w, r, http.StatusOK, d, revealed, customersv.StandingForm{}, customersv.LimitsForm{})
	})
}

// handleCustomerReveal shows the sensitive values unmasked, once, and
// records that the employee saw them. The answer is the page itself, not a
// redirect: the values are never kept anywhere to be shown later.
func (s *server) handleCustomerReveal() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Customers.RevealPII(r.Context(), emp.TenantID, id); err != nil {
			s.fail(w, r, err)
			return
		}
		// The reveal is audited here, once; the page shows the values from
		// a one-time reveal, so a reload masks them again and records
		// nothing twice.
		if err := s.putReveal(r.Context(), revealCustomerPII, id.String()); err != nil {
			s.fail(w, r, err)
			return
		}
		s.seeOtherIn(w, r, "/customers/"+id.String(), "#customer-360")
	})
}

// standingActions describes each standing change for the people who make
// it; the destructive ones ask for confirmation.
var standingActions = map[string]customersv.Action{
	customer.ActionDeactivate: {Code: customer.ActionDeactivate, Label: "Deactivate", Danger: true,
		Help:    "Status becomes INACTIVE. Sending stops; receiving continues. Reactivate restores the standing.",
		Confirm: "Deactivate this customer? They can no longer send money."},
	customer.ActionReactivate: {Code: customer.ActionReactivate, Label: "Reactivate",
		Help: "Restores the status and permission the customer had before deactivation."},
	customer.ActionLock: {Code: customer.ActionLock, Label: "Lock", Danger: true,
		Help:    "Status and permission become LOCKED. Every session of the customer ends at once.",
		Confirm: "Lock this customer? Their sessions end at once and nothing works until unlocked."},
	customer.ActionUnlock: {Code: customer.ActionUnlock, Label: "Unlock",
		Help: "Restores the status and permission the customer had before the lock. They sign in again."},
	customer.ActionClose: {Code: customer.ActionClose, Label: "Close", Danger: true,
		Help:    "Permanent: status and permission become CLOSED and every session ends. A closed customer cannot be reopened.",
		Confirm: "Close this customer for good? This cannot be undone."},
	actionResetPIN: {Code: actionResetPIN, Label: "Reset PIN",
		Help:    "Removes the transaction PIN and its lock; the customer sets a new one in their app.",
		Confirm: "Reset this customer's PIN?"},
	actionRemoveTOTP: {Code: actionRemoveTOTP, Label: "Remove authenticator",
		Help:    "For a lost phone: removes the authenticator app; the customer enrols again.",
		Confirm: "Remove this customer's authenticator app?"},
}

// Security actions share the standing form: a reason, audited.
const (
	actionResetPIN   = "RESET_PIN"
	actionRemoveTOTP = "REMOVE_TOTP"
)

func (s *server) handleCustomerStanding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		form := customersv.StandingForm{Action: strings.ToUpper(strings.TrimSpace(r.PostForm.Get("action"))),
			Reason: r.PostForm.Get("reason"), Errors: map[string]string{}}
		back := "/customers/" + id.String()
		act, known := standingActions[form.Action]
		if !known {
			s.flash(w, r, "error", "Choose one of the standing actions the page offers.")
			s.seeOther(w, r, back)
			return
		}
		if form.Action == actionResetPIN || form.Action == actionRemoveTOTP {
			var err error
			done := "The PIN was reset; the customer sets a new one."
			if form.Action == actionResetPIN {
				err = s.CustomerAuth.ResetPIN(r.Context(), emp.TenantID, id, form.Reason)
			} else {
				err = s.CustomerAuth.RemoveTOTP(r.Context(), emp.TenantID, id, form.Reason)
				done = "The authenticator app was removed; the customer may enrol again."
			}
			if fieldErrors(err, form.Errors) {
				d, derr := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
				if derr != nil {
					s.fail(w, r, derr)
					return
				}
				s.customerPage(w, r, http.StatusUnprocessableEntity, d, false, form, customersv.LimitsForm{})
				return
			}
			if c := apperr.CodeOf(err); c == apperr.Conflict || c == apperr.NotFound {
				e, _ := apperr.As(err)
				s.flash(w, r, "error", "Not changed: "+e.Message+".")
			} else if err != nil {
				s.fail(w, r, err)
				return
			} else {
				s.flash(w, r, "success", done)
			}
			s.seeOther(w, r, back)
			return
		}
		if form.Action == customer.ActionUnlock {
			// Unlocking is a four-eyes change: it waits for a second employee.
			c, err := s.Customers.Get(r.Context(), emp.TenantID, id)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			_, err = s.Approvals.Propose(r.Context(), emp.TenantID, customer.KindUnlock, id.String(), "Unlock "+c.FullName(),
				customer.UnlockRequest{Reason: form.Reason}, form.Reason)
			if fieldErrors(err, form.Errors) {
				d, derr := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
				if derr != nil {
					s.fail(w, r, derr)
					return
				}
				s.customerPage(w, r, http.StatusUnprocessableEntity, d, false, form, customersv.LimitsForm{})
				return
			}
			if apperr.CodeOf(err) == apperr.Conflict {
				e, _ := apperr.As(err)
				s.flash(w, r, "error", "Not changed: "+e.Message+".")
			} else if err != nil {
				s.fail(w, r, err)
				return
			} else {
				s.flash(w, r, "success", "Unlocking "+c.FullName()+" awaits a second employee's approval.")
			}
			s.seeOther(w, r, back)
			return
		}
		updated, err := s.Customers.ChangeStanding(r.Context(), emp.TenantID, id, form.Action, form.Reason)
		switch {
		case fieldErrors(err, form.Errors):
			d, derr := s.Customers.GetDetail(r.Context(), emp.TenantID, id)
			if derr != nil {
				s.fail(w, r, derr)
				return
			}
			s.customerPage(w, r, http.StatusUnprocessableEntity, d, false, form, customersv.LimitsForm{})
		case apperr.CodeOf(err) == apperr.Conflict:
			// The page was older than the customer's standing.
			msg := "Not changed: " + act.Label + " does not apply to this customer now."
			if c, gerr := s.Customers.Get(r.Context(), emp.TenantID, id); gerr == nil {
				msg = "Not changed: " + act.Label + " does not apply to a customer whose status is " + c.Status + "."
			}
			s.flash(w, r, "error", msg)
			s.seeOther(w, r, back)
		case err != nil:
			s.fail(w, r, err)
		default:
			s.flash(w, r, "success", standingDone(form.Action, updated))
			s.seeOther(w, r, back)
		}
	})
}

func standingDone(action string, c customer.Customer) string {
	name := c.FullName()
	switch action {
	case customer.ActionDeactivate:
		return name + " was deactivated: status " + c.Status + ", permission " + c.Permission + "."
	case customer.ActionReactivate:
		return name + " was reactivated: status " + c.Status + ", permission " + c.Permission + "."
	case customer.ActionLock:
		return name + " was locked; their sessions have ended."
	case customer.ActionUnlock:
		return name + " was unlocked: status " + c.Status + ", permission " + c.Permission + "."
	default:
		return name + " was closed; their sessions have ended."
	}
}

// customerPage renders the 360 page of d. revealed shows the sensitive
// values: only handleCustomerReveal, which audits it, passes true. form and
// limits are the standing and limits forms as submitted, to show again
// with their errors.
// customerPage renders the 360 page; holdForm, when given, is the legal
// hold form sent back with its error.
func (s *server) customerPage(w http.ResponseWriter, r *http.Request, status int, d customer.Detail, revealed bool, form customersv.StandingForm, limits customersv.LimitsForm,
	holdForm ...customersv.LegalHold) {
	s.customerPageWith(w, r, status, d, revealed, form, limits, subjectForm{}, holdForm...)
}

// customerPageWith is customerPage with the subject access form as sent
// back with its problem.
func (s *server) customerPageWith(w http.ResponseWriter, r *http.Request, status int, d customer.Detail, revealed bool, form customersv.StandingForm,
	limits customersv.LimitsForm, subject subjectForm, holdForm ...customersv.LegalHold) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := d.Customer
	// The values show masked until a reveal, which only handleCustomerReveal
	// makes (and audits), and then as the rule lets emp see them.
	seen := piiView(emp)
	canReveal := seen.MayReveal()
	if !revealed {
		seen = seen.Unrevealed()
	}
	sess, sessTotal, err := s.Customers.Sessions(r.Context(), emp.TenantID, c.ID, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	trail, err := s.Audit.List(r.Context(), emp.TenantID, audit.Filter{EntityType: "customer", EntityID: c.ID.String(), Limit: 20})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := customersv.Detail{
		ID: c.ID.String(), Name: c.FullName(), Status: c.Status, Risk: c.RiskLevel, RiskReasons: c.RiskReasons,
		Permission: c.Permission, EmailVerified: c.EmailVerifiedAt, Created: c.CreatedAt, Updated: c.UpdatedAt,
		CanReveal: canReveal, Revealed: revealed, Profile: profileFields(c, seen),
		SessionTotal: sessTotal, AuditTotal: trail.Total, Standing: form, Limits: limits, Loc: t.Location(), Now: s.Now(),
	}
	if d.UserID != uuid.Nil {
		v.UserID = d.UserID.String()
	}
	// The custom compliance fields, sensitive ones opened only for a view
	// that shows national ids in full (after the audited reveal).
	fields, err := s.Compliance.CustomerFields(r.Context(), emp.TenantID, c.ID, seen.Full(pii.NationalID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, f := range fields {
		v.Profile = append(v.Profile, customersv.Field{Key: "compliance-" + f.Name, Label: f.Label, Value: f.Value, Sensitive: f.Sensitive})
	}
	walletIDs := make([]string, 0, len(d.Wallets))
	for _, wl := range d.Wallets {
		walletIDs = append(walletIDs, wl.ID.String())
	}
	pending, err := s.Approvals.PendingFor(r.Context(), emp.TenantID, customer.WalletTarget, walletIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mayChangeLimits := s.mayOpen(emp, "POST /customers/{id}/wallets/{wallet}/limits")
	for _, wl := range d.Wallets {
		row := customersv.Wallet{ID: wl.ID.String(), Status: wl.Status, Currency: wl.Currency, IBAN: wl.IBAN, LimitsSource: wl.LimitsSource,
			Created: wl.CreatedAt, Decimals: walletLimits.Decimals(wl.Currency), Pending: pendingViews(pending[wl.ID.String()]),
			CanChangeLimits: mayChangeLimits && wl.Status == customer.WalletActive}
		row.IBAN = seen.Show(pii.Account, row.IBAN)
		if wl.DailyLimit != nil {
			row.DailyLimit = wl.DailyLimit.StringFixed(row.Decimals)
		}
		if wl.RequiresApprovalAbove != nil {
			row.RequiresApprovalAbove = wl.RequiresApprovalAbove.StringFixed(row.Decimals)
		}
		v.Wallets = append(v.Wallets, row)
	}
	mayReview := s.mayOpen(emp, "GET /reviews/{id}")
	for _, vr := range d.Verifications {
		row := customersv.Verification{ID: vr.ID.String(), Status: vr.Status, Risk: vr.RiskLevel, Created: vr.CreatedAt, Updated: vr.UpdatedAt}
		if mayReview {
			row.Href = "/reviews/" + row.ID
		}
		if row.Steps, err = s.verificationSteps(r.Context(), emp.TenantID, vr.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		v.Verifications = append(v.Verifications, row)
	}
	if v.Documents, err = documentRows(d, s.mayOpen(emp, "GET /documents/{id}")); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.customerScreening(r.Context(), emp, c.ID, &v); err != nil {
		s.fail(w, r, err)
		return
	}
	applied, ok, err := c.Applied()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok {
		cat := &customersv.Categorisation{Name: applied.Name, Risk: applied.RiskLevel, Active: applied.IsActive}
		for _, rel := range applied.CategoryFeatureRelations {
			f := customersv.CategoryFeature{Code: rel.Feature.Code, Enabled: rel.Enabled}
			for _, p := range rel.Parametrization {
				f.Params = append(f.Params, customersv.Param{Name: p.Name, Value: p.Value})
			}
			cat.Features = append(cat.Features, f)
		}
		v.Categorisation = cat
	}
	for _, ss := range sess {
		v.Sessions = append(v.Sessions, customersv.Session{Created: ss.CreatedAt, LastUsed: ss.LastUsedAt, Expires: ss.ExpiresAt,
			Revoked: ss.RevokedAt, RevokedReason: ss.RevokedReason, IP: ss.IP, UserAgent: ss.UserAgent})
	}
	mayAudit := s.mayOpen(emp, "GET /audit/{id}")
	if mayAudit {
		v.AuditURL = "/audit?" + url.Values{"entity": {"customer:" + c.ID.String()}}.Encode()
	}
	reasons := customerText(seen, c, d.Wallets...)
	for _, rec := range trail.Records {
		e := customersv.AuditEntry{ID: rec.ID.String(), At: rec.OccurredAt, Actor: rec.ActorName, Action: rec.Action,
			Code: rec.ReasonCode, Reason: reasons.Mask(reasonOf(rec.After))}
		if e.Actor == "" {
			e.Actor = rec.ActorType
		}
		if mayAudit {
			e.Href = "/audit/" + e.ID
		}
		v.Audit = append(v.Audit, e)
	}
	v.Hidden = c.IsHidden
	if !c.IsHidden && s.mayOpen(emp, "POST /customers/{id}/hide") {
		v.HideURL = "/customers/" + c.ID.String() + "/hide"
	}
	if s.mayOpen(emp, "POST /customers/{id}/identity") {
		v.CorrectURL = "/customers/" + c.ID.String() + "/identity"
	}
	if s.mayOpen(emp, "POST /customers/{id}/standing") {
		for _, code := range customer.StandingActions {
			if c.Allowed(code) {
				v.Actions = append(v.Actions, standingActions[code])
			}
		}
		if c.Status != customer.StatusClosed {
			v.Actions = append(v.Actions, standingActions[actionResetPIN], standingActions[actionRemoveTOTP])
		}
	}
	if emp.Can(staff.PermSubjectAccess) {
		if v.Subject, err = s.subjectSection(r.Context(), emp, c.ID, subject); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if v.Hold, err = s.legalHoldView(r.Context(), emp, c.ID, holdForm...); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, c.FullName(), "customers", customersv.DetailPage(v))
}

// verificationSteps is what happened to a verification, oldest first, from
// its audit records: the statuses it moved through, reviews, assignments.
func (s *server) verificationSteps(ctx context.Context, tenant, id uuid.UUID) ([]customersv.Step, error) {
	trail, err := s.Audit.List(ctx, tenant, audit.Filter{EntityType: "verification_request", EntityID: id.String(), Limit: 30})
	if err != nil {
		return nil, err
	}
	steps := make([]customersv.Step, 0, len(trail.Records))
	for i := len(trail.Records) - 1; i >= 0; i-- {
		rec := trail.Records[i]
		st := customersv.Step{At: rec.OccurredAt, Who: rec.ActorName}
		var before, after struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(rec.Before, &before)
		_ = json.Unmarshal(rec.After, &after)
		switch {
		case rec.Action == "verification.status.changed" && after.Status != "":
			st.State, st.What = after.Status, "from "+orDash(labels.Status(before.Status))
		default:
			st.What = strings.TrimPrefix(rec.Action, "verification.")
			if rec.ReasonCode != "" {
				st.What += " (" + rec.ReasonCode + ")"
			}
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// documentRows lists every document the customer uploaded, newest first,
// then each type their requirements ask for that has not come; mayView
// links each to the viewer.
func documentRows(d customer.Detail, mayView bool) ([]customersv.Document, error) {
	var docs []struct {
		ID        uuid.UUID
		Type      string
		Status    string
		CreatedAt time.Time
	}
	if err := json.Unmarshal(d.Documents, &docs); err != nil {
		return nil, fmt.Errorf("customer documents: %w", err)
	}
	out := make([]customersv.Document, 0, len(docs))
	for _, doc := range docs {
		row := customersv.Document{Type: doc.Type, Status: doc.Status, Created: doc.CreatedAt}
		if mayView {
			row.Href = "/documents/" + doc.ID.String()
		}
		out = append(out, row)
	}
	c := d.Customer
	slots, err := kyc.CustomerDocumentSlots(d.Documents, d.Requirements, c.CIPTag, documentCountry(c), c.RiskLevel, c.CreatedAt)
	if err != nil {
		return nil, err
	}
	for _, sl := range slots {
		if sl.Status == kyc.DocMissing {
			out = append(out, customersv.Document{Type: sl.Type, Missing: true})
		}
	}
	return out, nil
}

// customerScreening adds the customer's sanctions and PEP hits and AML
// alerts to the page, each when the employee may read them.
func (s *server) customerScreening(ctx context.Context, emp staff.Employee, id uuid.UUID, v *customersv.Detail) error {
	if s.Screening != nil && s.mayOpen(emp, "GET /screening/hits/{id}") {
		hits, err := s.Screening.ListHits(ctx, emp.TenantID, screening.HitFilter{SubjectID: &id, Limit: customersv.MaxShown})
		if err != nil {
			return err
		}
		v.ShowHits = true
		for _, h := range hits {
			v.Hits = append(v.Hits, customersv.ScreeningHit{EntryName: h.EntryName, MatchedName: h.MatchedName, Source: h.Source,
				Score: h.Score, MatchStatus: string(h.MatchStatus), Status: string(h.Status), Created: h.CreatedAt,
				Href: "/screening/hits/" + h.ID.String()})
		}
	}
	if s.AML != nil && s.mayOpen(emp, "GET /alerts/{id}") {
		page, err := s.AML.Alerts(ctx, emp.TenantID, aml.AlertFilter{Status: "all", CustomerID: &id, Limit: customersv.MaxShown})
		if err != nil {
			return err
		}
		v.ShowAlerts, v.AlertTotal = true, page.Total
		v.AlertsURL = "/alerts?" + url.Values{"customer": {id.String()}, "status": {"all"}}.Encode()
		txs, err := s.AML.CustomerTransactions(ctx, emp.TenantID, id, customersv.MaxShown)
		if err != nil {
			return err
		}
		for _, tx := range txs {
			row := customersv.Transaction{At: tx.At, Ref: tx.Ref, Kind: tx.Type + " " + tx.Direction,
				Amount: money(tx.Amount, tx.Currency), Counterparty: tx.Counterparty, Decision: string(tx.Decision)}
			if tx.Country != "" && tx.Counterparty != "" {
				row.Counterparty += " (" + tx.Country + ")"
			}
			if tx.AlertID != nil {
				row.AlertHref = "/alerts/" + tx.AlertID.String()
			}
			v.Transactions = append(v.Transactions, row)
		}
		for _, a := range page.Alerts {
			v.Alerts = append(v.Alerts, customersv.AMLAlert{Severity: a.Severity, Status: a.Status, Decision: string(a.Decision),
				Rules: a.Rules, Amount: money(a.Amount, a.Currency), Created: a.CreatedAt, Href: "/alerts/" + a.ID.String()})
		}
	}
	return nil
}

// reasonOf is the free-text reason an audit record's after state carries,
// as standing changes record it.
func reasonOf(after json.RawMessage) string {
	var v struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(after, &v)
	return v.Reason
}

// profileFields lists the profile as seen shows it.
func profileFields(c customer.Customer, seen pii.View) []customersv.Field {
	addr := c.Address
	var lines []string
	for _, part := range []string{strings.TrimSpace(addr.StreetNumber + " " + addr.Street), addr.Apartment, addr.City, addr.State, addr.PostalCode, addr.Country} {
		if part != "" {
			lines = append(lines, part)
		}
	}
	income := ""
	if c.AnnualIncome != nil {
		income = c.AnnualIncome.StringFixed(2)
	}
	nationality := c.Nationality
	if nationality != "" {
		nationality += " · " + customer.CountryName(c.Nationality)
	}
	return []customersv.Field{
		{Key: "email", Label: "E-mail", Value: seen.Show(pii.Email, c.Email), Sensitive: true},
		{Key: "phone", Label: "Phone", Value: seen.Show(pii.Phone, c.PhoneNumber), Sensitive: true},
		{Key: "alternate-phone", Label: "Alternate phone", Value: seen.Show(pii.Phone, c.AlternatePhoneNumber), Sensitive: true},
		{Key: "date-of-birth", Label: "Date of birth", Value: seen.Date(c.DateOfBirth), Sensitive: true},
		{Key: "address", Label: "Address", Value: seen.AddressOf(strings.Join(lines, ", "), addr.Country), Sensitive: true},
		{Key: "income", Label: "Annual income", Value: seen.Show(pii.Income, income), Sensitive: true},
		{Key: "nationality", Label: "Nationality", Value: nationality},
		{Key: "place-of-birth", Label: "Place of birth", Value: c.PlaceOfBirth},
		{Key: "occupation", Label: "Occupation", Value: c.Occupation},
		{Key: "employer", Label: "Employer", Value: c.EmployerName},
		{Key: "source-of-funds", Label: "Source of funds", Value: c.SourceOfFunds},
		{Key: "registration-ip", Label: "Registered from IP", Value: c.RegistrationIP},
	}
}
