package customer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
)

// RegisterInput is a registration as the API receives it.
type RegisterInput struct {
	Email                string
	Password             string
	MatchingPassword     string
	FirstName            string
	LastName             string
	MiddleName           string
	DateOfBirth          string
	PlaceOfBirth         string
	Nationality          string
	PhoneNumber          string
	AlternatePhoneNumber string
	Address              Address
	Occupation           string
	EmployerName         string
	AnnualIncome         string // a decimal as text; "" when not given
	SourceOfFunds        string
	Categorization       *CategorizationInput
	// CategorizationPath is where the request carried the categorisation
	// ("individualCustomer.categorization" in guide 001), so that its
	// field errors name the path the caller sent; "categorization" when
	// empty.
	CategorizationPath string
	RegistrationIP     string
	// CIPTag names the customer's Customer Identification Program (the
	// tenant's requirement set with that tag); 0 or 1 is the default one.
	CIPTag int
	// SuppID is an id the tenant's own system gives the customer.
	SuppID string
	// ComplianceFields are the custom compliance fields by name (the
	// regulatory pack in force for the customer's country defines them).
	ComplianceFields map[string]string
}

// Registered is what a registration created.
type Registered struct {
	Customer              Customer
	UserID                uuid.UUID
	WalletID              uuid.UUID
	WalletStatus          string
	VerificationRequestID uuid.UUID
	Categorization        *AppliedCategorization
	// EmailToken is the e-mail verification token (64 hex characters),
	// also handed to the tenant in the customer.registered event.
	EmailToken string
}

// Verification request statuses the onboarding starts with.
const VerificationAwaitingDocuments = "AWAITING_DOCUMENTS"

// EmailTokenTTL is how long an e-mail verification token works.
const EmailTokenTTL = 7 * 24 * time.Hour

const (
	ip = "individualCustomer"
)

func normalise(in *RegisterInput) {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&in.Email, &in.FirstName, &in.LastName, &in.MiddleName, &in.DateOfBirth, &in.PlaceOfBirth,
		&in.Nationality, &in.PhoneNumber, &in.AlternatePhoneNumber, &in.Occupation, &in.EmployerName, &in.AnnualIncome,
		&in.SourceOfFunds, &in.Address.Street, &in.Address.StreetNumber, &in.Address.Apartment, &in.Address.City,
		&in.Address.State, &in.Address.PostalCode, &in.Address.Country, &in.Address.AddressType} {
		trim(s)
	}
	in.Email = strings.ToLower(in.Email)
	in.Nationality = strings.ToUpper(in.Nationality)
	in.Address.Country = strings.ToUpper(in.Address.Country)
	in.Address.AddressType = strings.ToUpper(in.Address.AddressType)
}

// Register validates in against the tenant's rules and creates, in one
// transaction, the customer, their credentials, an inactive wallet, the
// categorisation, an e-mail verification token and a verification
// request, with an audit record and a customer.registered event.
func (s *Service) Register(ctx context.Context, tenant uuid.UUID, in RegisterInput) (Registered, error) {
	normalise(&in)
	var (
		settings Settings
		cats     []Category
		taken    bool
		cipKnown = true
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if settings, err = LoadSettings(ctx, q, tenant); err != nil {
			return err
		}
		if in.Categorization != nil {
			if cats, err = hierarchy(ctx, q, tenant); err != nil {
				return err
			}
		}
		if in.CIPTag > 1 && in.CIPTag <= 3000 {
			known, err := q.CIPExists(ctx, db.CIPExistsParams{TenantID: tenant, CipTag: int32(in.CIPTag)})
			if err != nil {
				return err
			}
			cipKnown = known != nil && *known
		}
		taken, err = q.CustomerEmailTaken(ctx, db.CustomerEmailTakenParams{TenantID: tenant, Email: in.Email})
		return err
	})
	if err != nil {
		return Registered{}, fmt.Errorf("customer: register: %w", err)
	}

	now := s.now()
	var fe apperr.Fields
	if in.Email == "" {
		fe.Add("email", "is required")
	} else if !ValidEmail(in.Email) {
		fe.Add("email", "must be an e-mail address such as ana@example.com")
	}
	if in.Password == "" {
		fe.Add("password", "is required")
	} else {
		username, _, _ := strings.Cut(in.Email, "@")
		fe = append(fe, settings.Password.Check(in.Password, in.MatchingPassword, username, in.Email)...)
	}
	checkName(&fe, "firstName", in.FirstName, true, 100)
	checkName(&fe, "lastName", in.LastName, true, 100)
	checkName(&fe, ip+".middleName", in.MiddleName, false, 100)
	dob := checkDateOfBirth(&fe, ip+".dateOfBirth", in.DateOfBirth, now, settings.MinAge)
	checkText(&fe, ip+".placeOfBirth", in.PlaceOfBirth, false, 100)
	if !ValidCountry(in.Nationality) {
		fe.Add(ip+".nationality", "must be an ISO 3166 alpha-2 country code such as DE or GB")
	}
	if in.PhoneNumber == "" {
		fe.Add(ip+".phoneNumber", "is required (E.164, e.g. +447911123456)")
	} else if msg := PhoneProblem(in.PhoneNumber); msg != "" {
		fe.Add(ip+".phoneNumber", "%s", msg)
	}
	if in.AlternatePhoneNumber != "" {
		if msg := PhoneProblem(in.AlternatePhoneNumber); msg != "" {
			fe.Add(ip+".alternatePhoneNumber", "%s", msg)
		}
	}
	checkAddress(&fe, ip+".address", in.Address)
	checkText(&fe, ip+".occupation", in.Occupation, false, 100)
	checkText(&fe, ip+".employerName", in.EmployerName, false, 200)
	income := parseMoney(&fe, ip+".annualIncome", in.AnnualIncome)
	checkText(&fe, ip+".sourceOfFunds", in.SourceOfFunds, false, 200)
	switch {
	case in.CIPTag == 0:
		in.CIPTag = 1
	case in.CIPTag < 1 || in.CIPTag > 3000:
		fe.Add("extra.cip_tag", "must be a CIP tag from 1 to 3000")
	case !cipKnown:
		fe.Add("extra.cip_tag", "is not one of this tenant's CIPs: define its requirements on the KYC requirements page first")
	}
	if in.SuppID = strings.TrimSpace(in.SuppID); len(in.SuppID) > 200 {
		fe.Add("extra.supp_id", "must be at most 200 characters")
	}
	var applied *AppliedCategorization
	if in.Categorization != nil {
		applied = validateCategorization(&fe, in.CategorizationPath, in.Categorization, cats)
	}
	profile := applied.Profile()
	risk, reasons := AssessRisk(profile.RiskLevel, in.Nationality, in.Address.Country, in.Occupation, income)
	if profile.PEP && risk != "HIGH" {
		// A politically exposed person is high risk (FATF R.12).
		risk, reasons = "HIGH", append(reasons, ReasonDeclaredPEP)
	}
	// The custom compliance fields and the profile fields the pack in
	// force requires at the customer's risk level.
	var fields FieldsCheck
	if s.Compliance != nil {
		country := in.Address.Country
		if country == "" {
			country = in.Nationality
		}
		given := registrationGiven(in)
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			fields, err = s.Compliance.CheckFields(ctx, q, FieldsInput{Tenant: tenant, Country: country, RiskLevel: risk,
				Values: in.ComplianceFields, Given: func(p string) bool { return given[p] }})
			return err
		})
		if err != nil {
			return Registered{}, fmt.Errorf("customer: register: %w", err)
		}
		for _, p := range fields.Problems {
			if !fe.Has(p.Field) {
				fe = append(fe, p)
			}
		}
	} else if len(in.ComplianceFields) > 0 {
		fe.Add(FieldComplianceFields, "are not accepted: no regulatory pack is available")
	}
	if err := fe.Err(); err != nil {
		return Registered{}, err
	}
	if taken {
		return Registered{}, errEmailTaken()
	}

	// The slow hash happens outside the transaction.
	hash := credential.Hash(in.Password, s.HashParams)
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return Registered{}, err
	}
	tokenHex := hex.EncodeToString(token)
	tokenHash := sha256.Sum256([]byte(tokenHex))

	reg := Registered{UserID: uuid.New(), WalletID: uuid.New(), WalletStatus: "INACTIVE", VerificationRequestID: uuid.New(),
		Categorization: applied, EmailToken: tokenHex}
	id := uuid.New()
	address, _ := json.Marshal(in.Address)
	var categoryID *uuid.UUID
	if applied != nil {
		categoryID = &applied.ID
	}
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CreateCustomer(ctx, db.CreateCustomerParams{
			ID: id, TenantID: tenant, Email: in.Email, FirstName: in.FirstName, MiddleName: in.MiddleName, LastName: in.LastName,
			DateOfBirth: dob, PlaceOfBirth: in.PlaceOfBirth, Nationality: in.Nationality, PhoneNumber: in.PhoneNumber,
			AlternatePhoneNumber: in.AlternatePhoneNumber, Address: address, Occupation: in.Occupation, EmployerName: in.EmployerName,
			AnnualIncome: nullDecimal(income), SourceOfFunds: in.SourceOfFunds, Status: StatusPendingVerification,
			Permission: PermissionUnverified, RiskLevel: risk, RiskReasons: reasons, CategoryID: categoryID,
			Categorization: marshalApplied(applied), RegistrationIp: in.RegistrationIP, CipTag: int32(in.CIPTag), SuppID: in.SuppID,
			ClientID: registeringClient(ctx),
		})
		if err != nil {
			return err
		}
		reg.Customer = fromRow(row)
		if err := q.CreateCredential(ctx, db.CreateCredentialParams{ID: reg.UserID, TenantID: tenant, CustomerID: id, PasswordHash: hash}); err != nil {
			return err
		}
		if _, err := q.CreateWallet(ctx, db.CreateWalletParams{ID: reg.WalletID, TenantID: tenant, CustomerID: id}); err != nil {
			return err
		}
		expires := now.Add(EmailTokenTTL)
		if err := q.CreateEmailVerificationToken(ctx, db.CreateEmailVerificationTokenParams{TenantID: tenant, CustomerID: id,
			TokenHash: tokenHash[:], ExpiresAt: expires}); err != nil {
			return err
		}
		if _, err := q.CreateVerificationRequest(ctx, db.CreateVerificationRequestParams{ID: reg.VerificationRequestID, TenantID: tenant,
			CustomerID: id, Status: VerificationAwaitingDocuments, RiskLevel: risk}); err != nil {
			return err
		}
		if fields.Store != nil {
			if _, err := fields.Store(ctx, q, id, reg.VerificationRequestID); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.registered", EntityType: "customer",
			EntityID: id.String(), After: map[string]any{
				"email": in.Email, "status": StatusPendingVerification, "permission": PermissionUnverified,
				"riskLevel": risk, "riskReasons": reasons, "userId": reg.UserID, "walletId": reg.WalletID,
				"verificationRequestId": reg.VerificationRequestID, "categoryId": categoryID,
				"registrationIp": in.RegistrationIP,
			}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.registered", EntityType: "customer", EntityID: id.String(),
			Payload: map[string]any{
				"customerId": id, "userId": reg.UserID, "email": in.Email, "firstName": in.FirstName, "lastName": in.LastName,
				"status": StatusPendingVerification, "riskLevel": risk, "walletId": reg.WalletID,
				"verificationRequestId": reg.VerificationRequestID,
				"emailVerification":     map[string]any{"token": tokenHex, "expiresAt": expires.UTC().Format(time.RFC3339)},
			}})
		return err
	})
	if db.IsUniqueViolation(err, "customers_tenant_email") {
		return Registered{}, errEmailTaken()
	}
	if err != nil {
		return Registered{}, fmt.Errorf("customer: register: %w", err)
	}
	return reg, nil
}

// registrationGiven says which optional registration fields have a value,
// by path, for the profile fields a pack requires.
func registrationGiven(in RegisterInput) map[string]bool {
	return map[string]bool{
		FieldMiddleName: in.MiddleName != "", FieldPlaceOfBirth: in.PlaceOfBirth != "", FieldOccupation: in.Occupation != "",
		FieldEmployerName: in.EmployerName != "", FieldAnnualIncome: in.AnnualIncome != "", FieldSourceOfFunds: in.SourceOfFunds != "",
		FieldAlternatePhoneNumber: in.AlternatePhoneNumber != "", FieldAddress + ".state": in.Address.State != "",
	}
}

func errEmailTaken() error {
	return apperr.New(apperr.Conflict, "a customer with this e-mail address is already registered").WithAPI("EMAIL_ALREADY_REGISTERED")
}

func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: *d, Valid: true}
}

// VerifyEmail marks the customer's e-mail address verified by the token
// from the customer.registered event. A token works once.
func (s *Service) VerifyEmail(ctx context.Context, tenant uuid.UUID, token string) (Customer, error) {
	token = strings.ToLower(strings.TrimSpace(token))
	if len(token) != 64 {
		return Customer{}, apperr.Validation(apperr.FieldError{Field: "token", Issue: "must be the 64-character token from the customer.registered event"})
	}
	h := sha256.Sum256([]byte(token))
	var c Customer
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		id, err := q.UseEmailVerificationToken(ctx, db.UseEmailVerificationTokenParams{TenantID: tenant, TokenHash: h[:]})
		if err != nil {
			return err
		}
		row, err := q.MarkEmailVerified(ctx, db.MarkEmailVerifiedParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		c = fromRow(row)
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.email_verified", EntityType: "customer",
			EntityID: id.String(), After: map[string]any{"email": c.Email}}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.email.verified", EntityType: "customer",
			EntityID: id.String(), Payload: map[string]any{"customerId": id, "email": c.Email}})
		return err
	})
	if db.IsNotFound(err) {
		return Customer{}, apperr.New(apperr.NotFound, "the token is unknown, used or expired").WithAPI("TOKEN_INVALID")
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: verify e-mail: %w", err)
	}
	return c, nil
}
