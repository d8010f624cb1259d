package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/ratelimit"
)

// flexNumber accepts a JSON number or a numeric string, so that "numeric
// income" can be validated with a field error rather than a type error.
type flexNumber string

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexNumber(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexNumber(n.String())
	}
	return nil
}

type addressDTO struct {
	Street       string `json:"street"`
	StreetNumber string `json:"streetNumber"`
	Apartment    string `json:"apartment"`
	City         string `json:"city"`
	State        string `json:"state"`
	PostalCode   string `json:"postalCode"`
	Country      string `json:"country"`
	AddressType  string `json:"addressType"`
}

type registrationRequest struct {
	// categorizationPath is where the categorisation was read from.
	categorizationPath string

	TenantID           string `json:"tenantId"`
	Email              string `json:"email"`
	Password           string `json:"password"`
	MatchingPassword   string `json:"matchingPassword"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	IndividualCustomer struct {
		// Guide 001 repeats these four inside individualCustomer. The
		// tenant comes from X-Tenant-ID wherever tenantId stands; the
		// others must agree with their top-level twins when both are sent.
		TenantID             string     `json:"tenantId"`
		Email                string     `json:"email"`
		FirstName            string     `json:"firstName"`
		LastName             string     `json:"lastName"`
		MiddleName           string     `json:"middleName"`
		DateOfBirth          string     `json:"dateOfBirth"`
		PlaceOfBirth         string     `json:"placeOfBirth"`
		Nationality          string     `json:"nationality"`
		PhoneNumber          string     `json:"phoneNumber"`
		AlternatePhoneNumber string     `json:"alternatePhoneNumber"`
		Address              addressDTO `json:"address"`
		Occupation           string     `json:"occupation"`
		EmployerName         string     `json:"employerName"`
		AnnualIncome         flexNumber `json:"annualIncome"`
		SourceOfFunds        string     `json:"sourceOfFunds"`
		// Categorization stands here in guide 001; the top level is
		// accepted too.
		Categorization *categorizationDTO `json:"categorization"`
		// ComplianceFields are the custom compliance fields the pack in
		// force for the customer's country defines, by name
		// (GET /compliance/requirements lists them).
		ComplianceFields map[string]string `json:"complianceFields"`
	} `json:"individualCustomer"`
	Categorization *categorizationDTO `json:"categorization"`
	// Extra carries guide 002's extra fields the tenant may set: the
	// customer's CIP and the id the tenant's own system gave them.
	Extra *struct {
		CIPTag     *int   `json:"cip_tag"`
		SuppID     string `json:"supp_id"`
		IsBusiness *bool  `json:"is_business"`
	} `json:"extra"`
}

type categorizationDTO struct {
	ID                       string `json:"id"`
	Name                     string `json:"name"`
	IsActive                 *bool  `json:"isActive"`
	CategoryFeatureRelations []struct {
		Feature struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		} `json:"feature"`
		Enabled         bool `json:"enabled"`
		Parametrization []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"parametrization"`
	} `json:"categoryFeatureRelations"`
}

// mergeTwins reconciles the fields guide 001 gives twice, at the top level
// and inside individualCustomer: either place may carry a value, and when
// both do they must agree (422 naming the nested path). tenantId is
// ignored in both places: X-Tenant-ID decides, as the guide says.
func mergeTwins(req *registrationRequest) error {
	ic := &req.IndividualCustomer
	var fe apperr.Fields
	twin := func(top *string, nested string, field string, same func(a, b string) bool) {
		switch {
		case strings.TrimSpace(nested) == "":
		case strings.TrimSpace(*top) == "":
			*top = nested
		case !same(strings.TrimSpace(*top), strings.TrimSpace(nested)):
			fe.Add("individualCustomer."+field, "differs from the top-level %s; send the same value in both places or only one", field)
		}
	}
	exact := func(a, b string) bool { return a == b }
	twin(&req.Email, ic.Email, "email", strings.EqualFold)
	twin(&req.FirstName, ic.FirstName, "firstName", exact)
	twin(&req.LastName, ic.LastName, "lastName", exact)
	req.categorizationPath = "categorization"
	switch {
	case ic.Categorization == nil:
	case req.Categorization == nil:
		req.Categorization, req.categorizationPath = ic.Categorization, "individualCustomer.categorization"
	default:
		a, _ := json.Marshal(req.Categorization)
		b, _ := json.Marshal(ic.Categorization)
		if !bytes.Equal(a, b) {
			fe.Add("individualCustomer.categorization", "differs from the top-level categorization; send it in one place")
		}
	}
	return fe.Err()
}

// HandleRegistration is POST /customer/individual/registration.
func (a *API) HandleRegistration() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		// Refused registrations are limited per address and per e-mail
		// address: probing which addresses are registered is slowed down.
		l := a.rateLimits(r, t.ID)
		limits := []ratelimit.Key{ratelimit.NewKey(t.ID, rateRegistrationIP, clientIP(r), l.RegistrationIP)}
		if a.rateLimited(w, r, nil, limits...) {
			return
		}
		var req registrationRequest
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.rateFailed(r, limits...)
			a.WriteError(w, r, err)
			return
		}
		if req.Email != "" {
			limits = append(limits, ratelimit.NewKey(t.ID, rateRegistrationAccount, req.Email, l.RegistrationAccount))
			if a.rateLimited(w, r, nil, limits[1:]...) {
				return
			}
		}
		refuse := func(err error) {
			if isFailedAttempt(err) {
				a.rateFailed(r, limits...)
			}
			a.WriteError(w, r, err)
		}
		ic := req.IndividualCustomer
		if err := mergeTwins(&req); err != nil {
			refuse(err)
			return
		}
		in := customer.RegisterInput{
			Email: req.Email, Password: req.Password, MatchingPassword: req.MatchingPassword,
			FirstName: req.FirstName, LastName: req.LastName, MiddleName: ic.MiddleName, DateOfBirth: ic.DateOfBirth,
			PlaceOfBirth: ic.PlaceOfBirth, Nationality: ic.Nationality, PhoneNumber: ic.PhoneNumber,
			AlternatePhoneNumber: ic.AlternatePhoneNumber, Address: customer.Address(ic.Address), Occupation: ic.Occupation,
			EmployerName: ic.EmployerName, AnnualIncome: string(ic.AnnualIncome), SourceOfFunds: ic.SourceOfFunds,
			RegistrationIP: clientIP(r), ComplianceFields: ic.ComplianceFields,
		}
		if x := req.Extra; x != nil {
			if x.IsBusiness != nil && *x.IsBusiness {
				refuse(apperr.Validation(apperr.FieldError{Field: "extra.is_business", Issue: "must be false: this registration is for individuals"}))
				return
			}
			in.SuppID = x.SuppID
			if x.CIPTag != nil {
				in.CIPTag = *x.CIPTag
				if in.CIPTag == 0 {
					in.CIPTag = -1 // 0 sent is not "the default": it is out of range
				}
			}
		}
		if c := req.Categorization; c != nil {
			in.CategorizationPath = req.categorizationPath
			in.Categorization = &customer.CategorizationInput{ID: c.ID, Name: c.Name, IsActive: c.IsActive}
			for _, rel := range c.CategoryFeatureRelations {
				fr := customer.FeatureRelation{FeatureID: rel.Feature.ID, FeatureCode: rel.Feature.Code, Enabled: rel.Enabled}
				for _, p := range rel.Parametrization {
					fr.Parameters = append(fr.Parameters, customer.ParameterValue{Name: p.Name, Value: p.Value})
				}
				in.Categorization.Relations = append(in.Categorization.Relations, fr)
			}
		}
		reg, err := a.Customers.Register(r.Context(), t.ID, in)
		if err != nil {
			refuse(err)
			return
		}
		w.Header().Set("Location", Prefix+"/customers/"+reg.Customer.ID.String())
		WriteData(w, http.StatusCreated, map[string]any{
			"customerId":            reg.Customer.ID,
			"userId":                reg.UserID,
			"walletId":              reg.WalletID,
			"status":                reg.Customer.Status,
			"walletStatus":          reg.WalletStatus,
			"verificationRequestId": reg.VerificationRequestID,
			"riskLevel":             reg.Customer.RiskLevel,
			"categorization":        reg.Categorization,
		})
	})
}

// HandleCategoryHierarchy is GET /customer/individual/categorization/hierarchy/{tenantId}.
func (a *API) HandleCategoryHierarchy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		ref := r.PathValue("tenantId")
		if ref != t.Slug && ref != t.ID.String() {
			pt, err := a.Tenants.Resolve(r.Context(), ref)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if pt.ID != t.ID {
				a.WriteError(w, r, errWrongTenat)
				return
			}
		}
		cats, err := a.Customers.Hierarchy(r.Context(), t.ID)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		out := []map[string]any{}
		for _, c := range cats {
			feats := []map[string]any{}
			for _, f := range c.Features {
				params := []map[string]any{}
				for _, p := range f.Parameters {
					allowed := p.AllowedValues
					if allowed == nil {
						allowed = []string{}
					}
					params = append(params, map[string]any{"id": p.ID, "name": p.Name, "mandatory": p.Mandatory, "allowedValues": allowed})
				}
				feats = append(feats, map[string]any{"id": f.ID, "code": f.Code, "name": f.Name, "parameters": params})
			}
			var risk any
			if c.RiskLevel != "" {
				risk = c.RiskLevel
			}
			out = append(out, map[string]any{"id": c.ID, "name": c.Name, "description": c.Description, "isActive": c.IsActive,
				"riskLevel": risk, "features": feats})
		}
		WriteData(w, http.StatusOK, out)
	})
}

// HandleVerifyEmail is POST /customer/individual/email/verification.
func (a *API) HandleVerifyEmail() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			Token string `json:"token"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		c, err := a.Customers.VerifyEmail(r.Context(), t.ID, req.Token)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"customerId": c.ID, "email": c.Email, "emailVerified": true, "emailVerifiedAt": c.EmailVerifiedAt})
	})
}

// Default documents per risk level (API.md), until KYC records say more.
var requiredDocuments = map[string][]string{
	"LOW":    {"IDENTITY_DOCUMENT"},
	"MEDIUM": {"IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS", "SELFIE"},
	"HIGH":   {"IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS", "SELFIE", "SOURCE_OF_FUNDS"},
}

// DocumentStatus is what a customer's document slot says; the KYC
// capability supplies real ones through Deps.Documents.
type DocumentStatus struct {
	// ID is the document's id; "" for a MISSING one.
	ID          string
	Type        string
	Status      string // SUBMITTED|REVIEWING, SUBMITTED|VALID, SUBMITTED|INVALID, MISSING
	LastUpdated time.Time
	// Kind is DocPhysical (when empty), DocVirtual or DocSocial: where
	// the user object lists the document.
	Kind string
	// Value is what a virtual document shows of its value (masked to
	// its last four characters) or a social document's URL; "" for a
	// physical document.
	Value string
}

func customerDTO(d customer.Detail, docs []DocumentStatus) map[string]any {
	c := d.Customer
	var income any
	if c.AnnualIncome != nil {
		income = c.AnnualIncome.StringFixed(2)
	}
	wallets := []map[string]any{}
	for _, w := range d.Wallets {
		var cur, iban any
		if w.Currency != "" {
			cur = w.Currency
		}
		if w.IBAN != "" {
			iban = w.IBAN
		}
		wallets = append(wallets, map[string]any{"walletId": w.ID, "status": w.Status, "currency": cur, "iban": iban})
	}
	var verification any
	if len(d.Verifications) > 0 {
		v := d.Verifications[0]
		verification = map[string]any{"verificationRequestId": v.ID, "status": v.Status, "riskLevel": v.RiskLevel}
	}
	var categorization any
	if len(c.Categorization) > 0 {
		categorization = json.RawMessage(c.Categorization)
	}
	return userObject(map[string]any{
		"id":          c.ID,
		"customerId":  c.ID,
		"userId":      d.UserID,
		"tenantId":    c.TenantID,
		"status":      c.Status,
		"permission":  c.Permission,
		"riskLevel":   c.RiskLevel,
		"riskReasons": c.RiskReasons,
		"profile": map[string]any{
			"email": c.Email, "emailVerified": c.EmailVerifiedAt != nil, "firstName": c.FirstName, "middleName": c.MiddleName,
			"lastName": c.LastName, "dateOfBirth": c.DateOfBirth.Format(time.DateOnly), "placeOfBirth": c.PlaceOfBirth,
			"nationality": c.Nationality, "phoneNumber": c.PhoneNumber, "alternatePhoneNumber": c.AlternatePhoneNumber,
			"address": c.Address, "occupation": c.Occupation, "employerName": c.EmployerName, "annualIncome": income,
			"sourceOfFunds": c.SourceOfFunds, "complianceFields": d.ComplianceFields,
		},
		"categorization": categorization,
		"wallets":        wallets,
		"verification":   verification,
		"createdAt":      c.CreatedAt.UTC().Format(time.RFC3339),
		"updatedAt":      c.UpdatedAt.UTC().Format(time.RFC3339),
		"_links":         map[string]any{"self": map[string]any{"href": Prefix + "/customers/" + c.ID.String()}},
	}, d, docs)
}

func (a *API) documents(ctx context.Context, d customer.Detail) ([]DocumentStatus, error) {
	if a.Documents != nil {
		return a.Documents(ctx, d)
	}
	var out []DocumentStatus
	for _, t := range requiredDocuments[d.Customer.RiskLevel] {
		out = append(out, DocumentStatus{Type: t, Status: "MISSING", LastUpdated: d.Customer.UpdatedAt})
	}
	return out, nil
}

func customerID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
	}
	if err := OwnCustomer(r.Context(), id); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// HandleGetCustomer is GET /customers/{id}.
func (a *API) HandleGetCustomer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		a.writeCustomer(w, r, t.ID, id)
	})
}

// writeCustomer answers with customer id as GET /customers/{id} shows it.
func (a *API) writeCustomer(w http.ResponseWriter, r *http.Request, tenant, id uuid.UUID) {
	d, err := a.Customers.GetDetail(r.Context(), tenant, id)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	docs, err := a.documents(r.Context(), d)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteData(w, http.StatusOK, customerDTO(d, docs))
}

// HandleCustomerStanding is POST /customers/{id}/standing.
func (a *API) HandleCustomerStanding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		id, err := customerID(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		var req struct {
			Action string `json:"action"`
			Reason string `json:"reason"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if strings.EqualFold(strings.TrimSpace(req.Action), customer.ActionUnlock) && a.Approvals != nil {
			// Unlocking waits for an employee's approval (four-eyes).
			c, err := a.Customers.Get(r.Context(), t.ID, id)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			cr, err := a.Approvals.Propose(r.Context(), t.ID, customer.KindUnlock, id.String(), "Unlock "+c.FullName(),
				customer.UnlockRequest{Reason: req.Reason}, req.Reason)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			WriteData(w, http.StatusAccepted, map[string]any{"customerId": id, "status": c.Status, "permission": c.Permission,
				"pendingApproval": map[string]any{"changeRequestId": cr.ID, "status": cr.Status}})
			return
		}
		c, err := a.Customers.ChangeStanding(r.Context(), t.ID, id, req.Action, req.Reason)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"customerId": c.ID, "status": c.Status, "permission": c.Permission})
	})
}
