// Package customer owns individual customers: registration with its
// validation and categorisation, risk level, standing (status and the
// network permission model), wallets, and the reads the API and the portal
// make of them.
package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/screening"
)

// Statuses.
const (
	StatusPendingVerification = "PENDING_VERIFICATION"
	StatusActive              = "ACTIVE"
	StatusInactive            = "INACTIVE"
	StatusLocked              = "LOCKED"
	StatusClosed              = "CLOSED"
	// StatusErased is a customer whose personal data was erased
	// (internal/retention): the row stays for the audit trail.
	StatusErased = "ERASED"
)

// Permissions (the network model of API.md).
const (
	PermissionUnverified     = "UNVERIFIED"
	PermissionReceive        = "RECEIVE"
	PermissionSendAndReceive = "SEND-AND-RECEIVE"
	PermissionLocked         = "LOCKED"
	PermissionClosed         = "CLOSED"
)

// Address is a postal address as the API carries it.
type Address struct {
	Street       string `json:"street"`
	StreetNumber string `json:"streetNumber"`
	Apartment    string `json:"apartment"`
	City         string `json:"city"`
	State        string `json:"state"`
	PostalCode   string `json:"postalCode"`
	Country      string `json:"country"`
	AddressType  string `json:"addressType"`
}

// Customer is an individual customer.
type Customer struct {
	ID                   uuid.UUID
	TenantID             uuid.UUID
	Email                string
	FirstName            string
	MiddleName           string
	LastName             string
	DateOfBirth          time.Time
	PlaceOfBirth         string
	Nationality          string
	PhoneNumber          string
	AlternatePhoneNumber string
	Address              Address
	Occupation           string
	EmployerName         string
	AnnualIncome         *decimal.Decimal
	SourceOfFunds        string
	Status               string
	Permission           string
	RiskLevel            string
	RiskReasons          []string
	CategoryID           *uuid.UUID
	Categorization       json.RawMessage
	EmailVerifiedAt      *time.Time
	RegistrationIP       string
	// ClientID is the API client that registered the customer; nil for
	// customers registered otherwise (the demo seed, before clients were
	// recorded).
	ClientID *uuid.UUID
	// IsHidden is set by MAKE-IT-GO-AWAY: the customer is in no search or
	// list, and stays on record.
	IsHidden bool
	// SuppID is an id the tenant's own system gave the customer.
	SuppID string
	// CIPTag is the customer's Customer Identification Program tag.
	CIPTag    int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FullName is first, middle and last name.
func (c Customer) FullName() string {
	n := c.FirstName
	if c.MiddleName != "" {
		n += " " + c.MiddleName
	}
	return n + " " + c.LastName
}

func fromRow(r db.Customer) Customer {
	c := Customer{ID: r.ID, TenantID: r.TenantID, Email: r.Email, FirstName: r.FirstName, MiddleName: r.MiddleName,
		LastName: r.LastName, DateOfBirth: r.DateOfBirth, PlaceOfBirth: r.PlaceOfBirth, Nationality: r.Nationality,
		PhoneNumber: r.PhoneNumber, AlternatePhoneNumber: r.AlternatePhoneNumber, Occupation: r.Occupation,
		EmployerName: r.EmployerName, SourceOfFunds: r.SourceOfFunds, Status: r.Status, Permission: r.Permission,
		RiskLevel: r.RiskLevel, RiskReasons: r.RiskReasons, CategoryID: r.CategoryID, Categorization: r.Categorization,
		EmailVerifiedAt: r.EmailVerifiedAt, RegistrationIP: r.RegistrationIp, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ClientID: r.ClientID, IsHidden: r.IsHidden, SuppID: r.SuppID, CIPTag: int(r.CipTag)}
	_ = json.Unmarshal(r.Address, &c.Address)
	if r.AnnualIncome.Valid {
		d := r.AnnualIncome.Decimal
		c.AnnualIncome = &d
	}
	return c
}

// Wallet is a customer's wallet.
type Wallet struct {
	ID                    uuid.UUID
	Status                string
	Currency              string
	IBAN                  string
	DailyLimit            *decimal.Decimal
	RequiresApprovalAbove *decimal.Decimal
	// LimitsSource says where the limits came from: RISK_MITIGATION (the
	// approving review) or OVERRIDE (employees, under four-eyes); "" when
	// none were set.
	LimitsSource string
	CreatedAt    time.Time
}

// Verification is a verification request as the customer record shows it.
type Verification struct {
	ID        uuid.UUID
	Status    string
	RiskLevel string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Service manages customers.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// HashParams are argon2id's parameters for new passwords.
	HashParams credential.Argon2Params
	// Screen, when set, screens a customer against the sanctions and PEP
	// lists and says how many new hits it made: UpdateProfile calls it
	// when an admin changes the data the lists are searched by.
	Screen func(ctx context.Context, sub screening.Subject) (int, error)
	// Compliance, when set, checks and keeps the custom compliance fields
	// of registrations and profile changes; without it they are refused.
	Compliance ComplianceFields
	// RescreenDays, when set, gives the monitoring a tenant's re-screening
	// intervals by country and risk level from the regulatory packs in
	// force: nil (and no error) when the tenant enabled none; ok is false
	// for a country no pack covers.
	RescreenDays func(ctx context.Context, tenant uuid.UUID) (func(country, risk string) (days int, ok bool), error)
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, now: now, HashParams: credential.DefaultArgon2}
}

func errNotFound() error {
	return apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
}

// Get returns a customer of tenant.
func (s *Service) Get(ctx context.Context, tenant, id uuid.UUID) (Customer, error) {
	var c Customer
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.CustomerByID(ctx, db.CustomerByIDParams{TenantID: tenant, ID: id})
		c = fromRow(row)
		return err
	})
	if db.IsNotFound(err) {
		return Customer{}, errNotFound()
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: get: %w", err)
	}
	return c, nil
}

// Detail is a customer with their wallets and verifications.
type Detail struct {
	Customer      Customer
	Wallets       []Wallet
	Verifications []Verification
	UserID        uuid.UUID
	// ClientKey and ClientName are the OAuth client_id and the name of the
	// API client that registered the customer (Customer.ClientID); "" when
	// none did.
	ClientKey, ClientName string
	// Documents (type, status, createdAt; newest first) and the tenant's
	// document Requirements, as JSON, for the KYC capability to read: the
	// customer's record shows which documents are in and which are due.
	Documents, Requirements json.RawMessage
	// ComplianceFields are the custom compliance fields on file by name,
	// as anyone may see them: masked when sealed, else in full.
	ComplianceFields map[string]string
}

// GetDetail returns a customer with wallets, verification requests and
// documents, in one round trip to the database.
func (s *Service) GetDetail(ctx context.Context, tenant, id uuid.UUID) (Detail, error) {
	var d Detail
	err := db.OneStatement(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		d, err = detail(ctx, q, tenant, id)
		return err
	})
	if db.IsNotFound(err) {
		return Detail{}, errNotFound()
	}
	if err != nil {
		return Detail{}, fmt.Errorf("customer: get: %w", err)
	}
	return d, nil
}

// detail reads a customer with wallets and verification requests inside
// q's transaction, in one statement.
func detail(ctx context.Context, q *db.Queries, tenant, id uuid.UUID) (Detail, error) {
	var d Detail
	row, err := q.CustomerDetail(ctx, db.CustomerDetailParams{TenantID: tenant, ID: id})
	if err != nil {
		return d, err
	}
	d.Customer = fromRow(row.Customer)
	d.Documents, d.Requirements = row.Documents, row.Requirements
	if err := json.Unmarshal(row.ComplianceFields, &d.ComplianceFields); err != nil {
		return d, fmt.Errorf("customer: compliance fields: %w", err)
	}
	if row.UserID != nil {
		d.UserID = *row.UserID
	}
	if row.ApiClientID != nil && row.ClientName != nil {
		d.ClientKey, d.ClientName = *row.ApiClientID, *row.ClientName
	}
	var ws []struct {
		ID                    uuid.UUID
		Status                string
		Currency, IBAN        *string
		DailyLimit            *string
		RequiresApprovalAbove *string
		LimitsSource          *string
		CreatedAt             time.Time
	}
	if err := json.Unmarshal(row.Wallets, &ws); err != nil {
		return d, fmt.Errorf("customer: wallets: %w", err)
	}
	for _, w := range ws {
		wallet := Wallet{ID: w.ID, Status: w.Status, CreatedAt: w.CreatedAt,
			Currency: deref(w.Currency), IBAN: deref(w.IBAN), LimitsSource: deref(w.LimitsSource)}
		if wallet.DailyLimit, err = decimalOrNil(w.DailyLimit); err != nil {
			return d, err
		}
		if wallet.RequiresApprovalAbove, err = decimalOrNil(w.RequiresApprovalAbove); err != nil {
			return d, err
		}
		d.Wallets = append(d.Wallets, wallet)
	}
	if err := json.Unmarshal(row.Verifications, &d.Verifications); err != nil {
		return d, fmt.Errorf("customer: verification requests: %w", err)
	}
	return d, nil
}

func decimalOrNil(s *string) (*decimal.Decimal, error) {
	if s == nil {
		return nil, nil
	}
	v, err := decimal.NewFromString(*s)
	if err != nil {
		return nil, fmt.Errorf("customer: amount %q: %w", *s, err)
	}
	return &v, nil
}

// Settings are the tenant settings customer flows read.
type Settings struct {
	MinAge           int
	LoginOTPRequired bool
	LoginMaxFailures int
	LoginLockout     time.Duration
	Password         credential.PasswordPolicy
	PINLength        int
	PINMaxFailures   int
	OTPTTL           time.Duration
	OTPMaxAttempts   int
	AccessTokenTTL   time.Duration
	RefreshTokenTTL  time.Duration
	Country          string
	Currency         string
	BankCode         string
	// SelfieUncheckedBlocks stops automatic approval when no connector
	// could match the selfie.
	SelfieUncheckedBlocks bool
	// AutoActivate activates an account as soon as it is approved.
	AutoActivate bool
	// Quality are the image quality limits documents are held to.
	Quality evidence.Thresholds
}

// LoadSettings reads tenant's settings inside q's transaction, creating
// the defaults on first use.
func LoadSettings(ctx context.Context, q *db.Queries, tenant uuid.UUID) (Settings, error) {
	row, err := q.TenantSettings(ctx, tenant)
	if db.IsNotFound(err) {
		if err := q.EnsureTenantSettings(ctx, tenant); err != nil {
			return Settings{}, err
		}
		row, err = q.TenantSettings(ctx, tenant)
	}
	if err != nil {
		return Settings{}, fmt.Errorf("customer: settings: %w", err)
	}
	policy, err := credential.ParsePasswordPolicy(row.PasswordPolicy)
	if err != nil {
		return Settings{}, err
	}
	return Settings{
		MinAge: int(row.MinCustomerAge), LoginOTPRequired: row.LoginOtpRequired, LoginMaxFailures: int(row.LoginMaxFailures),
		LoginLockout: db.Duration(row.LoginLockout), Password: policy, PINLength: int(row.PinLength), PINMaxFailures: int(row.PinMaxFailures),
		OTPTTL: db.Duration(row.OtpTtl), OTPMaxAttempts: int(row.OtpMaxAttempts), AccessTokenTTL: db.Duration(row.AccessTokenTtl),
		RefreshTokenTTL: db.Duration(row.RefreshTokenTtl), Country: row.Country, Currency: row.Currency, BankCode: row.BankCode,
		SelfieUncheckedBlocks: row.SelfieUncheckedBlocksApproval, AutoActivate: row.AutoActivate,
		Quality: evidence.ThresholdsFrom(row.QualityThresholds),
	}, nil
}
