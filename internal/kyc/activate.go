package kyc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/currency"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/iban"
)

// Where a wallet's limits came from.
const (
	LimitsRiskMitigation = "RISK_MITIGATION"
	// LimitsCategory: the customer's categorisation (its TRANSACTION_LIMITS
	// feature) set them.
	LimitsCategory = "CATEGORY"
	LimitsNone     = "NONE"
)

// ActivationOptions are the choices of an activation. The zero value is
// not the default: callers start from DefaultActivation.
type ActivationOptions struct {
	// GenerateIBAN gives the wallet an IBAN built from the tenant's
	// country and bank code; it needs CreateWallet.
	GenerateIBAN bool
	// CreateWallet activates the customer's wallet (the one registration
	// made, or a new one).
	CreateWallet bool
	// WalletCurrency is an ISO 4217 code; empty means the tenant's
	// currency.
	WalletCurrency string
	// SendWelcomeEmail asks the tenant, through the outbox, to send the
	// welcome e-mail (event customer.welcome_email.requested).
	SendWelcomeEmail bool
	// ApplyRiskMitigation puts the limits of the approving review on the
	// wallet.
	ApplyRiskMitigation bool
}

// DefaultActivation is what an activation does unless told otherwise.
var DefaultActivation = ActivationOptions{GenerateIBAN: true, CreateWallet: true, SendWelcomeEmail: true, ApplyRiskMitigation: true}

// Activation is an activated customer.
type Activation struct {
	CustomerID             uuid.UUID
	Status                 string
	Permission             string
	RiskLevel              string
	VerificationID         uuid.UUID
	WalletID               *uuid.UUID
	Currency               string
	IBAN                   string
	DailyLimit             *decimal.Decimal
	RequiresApprovalAbove  *decimal.Decimal
	MonthlyLimit           *decimal.Decimal
	SingleTransactionLimit *decimal.Decimal
	LimitsSource           string
	EnhancedMonitoring     bool
	ActivatedAt            time.Time
}

// ibanAttempts bounds the retries when a drawn account number is taken.
const ibanAttempts = 8

// Activate opens customer id for business once their latest verification
// is APPROVED: the wallet is activated in the chosen currency with an IBAN
// and the review's limits, the customer becomes ACTIVE with permission
// SEND-AND-RECEIVE, and the customer.activated event (and, when asked, the
// welcome e-mail request) is written, all in one transaction. Before
// approval, or a second time, it is a conflict.
func (s *Service) Activate(ctx context.Context, tenant, id uuid.UUID, opt ActivationOptions) (Activation, error) {
	var fe apperr.Fields
	opt.WalletCurrency = strings.TrimSpace(opt.WalletCurrency)
	if opt.WalletCurrency != "" && !currency.Valid(opt.WalletCurrency) {
		fe.Add("activationOptions.walletCurrency", "must be an ISO 4217 currency code in capitals, such as EUR or GBP")
	}
	if opt.GenerateIBAN && !opt.CreateWallet {
		fe.Add("activationOptions.generateIBAN", "needs createWallet: the IBAN belongs to the wallet")
	}
	if err := fe.Err(); err != nil {
		return Activation{}, err
	}
	now := s.now()
	var out Activation
	err := db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.CustomerForUpdate(ctx, db.CustomerForUpdateParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no such customer").WithAPI("CUSTOMER_NOT_FOUND")
		}
		if err != nil {
			return err
		}
		settings, err := customer.LoadSettings(ctx, q, tenant)
		if err != nil {
			return err
		}
		switch row.Status {
		case customer.StatusPendingVerification:
		case customer.StatusActive:
			if settings.AutoActivate {
				// Approval activated the account already (automatic
				// activation): Step 4 answers what it made.
				out, err = activated(ctx, q, tenant, row)
				return err
			}
			return apperr.New(apperr.Conflict, "this customer is already active").WithAPI("ALREADY_ACTIVE")
		default:
			return apperr.New(apperr.Conflict, "a %s customer cannot be activated", strings.ToLower(row.Status)).WithAPI("INVALID_STATUS_TRANSITION")
		}
		vr, err := q.LatestVerificationForUpdate(ctx, db.LatestVerificationForUpdateParams{TenantID: tenant, CustomerID: id})
		if err != nil && !db.IsNotFound(err) {
			return err
		}
		if err != nil || vr.Status != StatusApproved {
			st := "missing"
			if err == nil {
				st = vr.Status
			}
			return apperr.New(apperr.Conflict, "the customer's verification is %s: activation needs it APPROVED", st).WithAPI("VERIFICATION_NOT_APPROVED")
		}
		out = Activation{CustomerID: id, Status: customer.StatusActive, Permission: customer.PermissionSendAndReceive,
			RiskLevel: row.RiskLevel, VerificationID: vr.ID, LimitsSource: LimitsNone, ActivatedAt: now}
		rm := ParseRiskMitigation(vr.RiskMitigation)
		if rm != nil {
			out.EnhancedMonitoring = rm.EnhancedMonitoring
		}
		if opt.CreateWallet {
			if err := s.activateWallet(ctx, tx, q, tenant, row, settings, opt, rm, &out); err != nil {
				return err
			}
		}
		if _, err := q.ActivateCustomer(ctx, db.ActivateCustomerParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		limits := out.limits()
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.activated", EntityType: "customer", EntityID: id.String(),
			Before: map[string]any{"status": row.Status, "permission": row.Permission},
			After: map[string]any{"status": out.Status, "permission": out.Permission, "walletId": out.WalletID, "currency": out.Currency,
				"iban": out.IBAN, "appliedLimits": limits, "enhancedMonitoring": out.EnhancedMonitoring, "verificationRequestId": vr.ID}}); err != nil {
			return err
		}
		if _, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.activated", EntityType: "customer", EntityID: id.String(),
			Payload: map[string]any{"customerId": id, "status": out.Status, "permission": out.Permission, "riskLevel": out.RiskLevel,
				"verificationRequestId": vr.ID, "walletId": out.WalletID, "currency": out.Currency, "iban": out.IBAN,
				"appliedLimits": limits, "enhancedMonitoring": out.EnhancedMonitoring, "timestamp": now.UTC().Format(time.RFC3339)}}); err != nil {
			return err
		}
		if opt.SendWelcomeEmail {
			if _, err := event.Write(ctx, q, event.Event{TenantID: tenant, Type: "customer.welcome_email.requested", EntityType: "customer", EntityID: id.String(),
				Payload: map[string]any{"customerId": id, "email": row.Email, "firstName": row.FirstName, "lastName": row.LastName,
					"template": "WELCOME", "iban": out.IBAN, "currency": out.Currency, "timestamp": now.UTC().Format(time.RFC3339)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Activation{}, err
		}
		return Activation{}, fmt.Errorf("kyc: activate: %w", err)
	}
	return out, nil
}

// limits are the applied limits as the audit record and event carry them.
func (a Activation) limits() map[string]any {
	out := map[string]any{"dailyTransactionLimit": amount(a.DailyLimit), "requiresApprovalAbove": amount(a.RequiresApprovalAbove), "source": a.LimitsSource}
	if a.MonthlyLimit != nil {
		out["monthlyTransactionLimit"] = amount(a.MonthlyLimit)
	}
	if a.SingleTransactionLimit != nil {
		out["singleTransactionLimit"] = amount(a.SingleTransactionLimit)
	}
	return out
}

// activated reads back the activation of an active customer: the
// verification that approved them and their active wallet.
func activated(ctx context.Context, q *db.Queries, tenant uuid.UUID, c db.Customer) (Activation, error) {
	out := Activation{CustomerID: c.ID, Status: c.Status, Permission: c.Permission, RiskLevel: c.RiskLevel, LimitsSource: LimitsNone}
	vr, err := q.LatestVerificationForUpdate(ctx, db.LatestVerificationForUpdateParams{TenantID: tenant, CustomerID: c.ID})
	if err != nil && !db.IsNotFound(err) {
		return out, err
	}
	if err == nil {
		out.VerificationID = vr.ID
		if rm := ParseRiskMitigation(vr.RiskMitigation); rm != nil {
			out.EnhancedMonitoring = rm.EnhancedMonitoring
		}
	}
	wallets, err := q.CustomerWalletsForUpdate(ctx, db.CustomerWalletsForUpdateParams{TenantID: tenant, CustomerID: c.ID})
	if err != nil {
		return out, err
	}
	for _, w := range wallets {
		if w.Status != "ACTIVE" {
			continue
		}
		id := w.ID
		out.WalletID = &id
		if w.Currency != nil {
			out.Currency = *w.Currency
		}
		if w.Iban != nil {
			out.IBAN = *w.Iban
		}
		if w.ActivatedAt != nil {
			out.ActivatedAt = *w.ActivatedAt
		}
		out.DailyLimit, out.RequiresApprovalAbove = nullAmount(w.DailyLimit), nullAmount(w.RequiresApprovalAbove)
		out.MonthlyLimit, out.SingleTransactionLimit = nullAmount(w.MonthlyLimit), nullAmount(w.SingleTransactionLimit)
		if w.LimitsSource != nil {
			out.LimitsSource = *w.LimitsSource
		}
		break
	}
	return out, nil
}

func nullAmount(d decimal.NullDecimal) *decimal.Decimal {
	if !d.Valid {
		return nil
	}
	return &d.Decimal
}

func amount(d *decimal.Decimal) any {
	if d == nil {
		return nil
	}
	return d.StringFixed(2)
}

// activateWallet activates the customer's first inactive wallet (or a new
// one) with its currency, IBAN and limits, filling out.
func (s *Service) activateWallet(ctx context.Context, tx pgx.Tx, q *db.Queries, tenant uuid.UUID, c db.Customer, settings customer.Settings,
	opt ActivationOptions, rm *RiskMitigation, out *Activation) error {
	wallets, err := q.CustomerWalletsForUpdate(ctx, db.CustomerWalletsForUpdateParams{TenantID: tenant, CustomerID: c.ID})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(wallets, func(w db.Wallet) bool { return w.Status == "INACTIVE" })
	var walletID uuid.UUID
	if i >= 0 {
		walletID = wallets[i].ID
	} else {
		w, err := q.CreateWallet(ctx, db.CreateWalletParams{ID: uuid.New(), TenantID: tenant, CustomerID: c.ID})
		if err != nil {
			return err
		}
		walletID = w.ID
	}
	cur := opt.WalletCurrency
	if cur == "" {
		cur = settings.Currency
		if !currency.Valid(cur) {
			return apperr.New(apperr.Conflict, "the organisation's currency %q is not a circulating ISO 4217 currency; send walletCurrency", cur).WithAPI("CURRENCY_NOT_SUPPORTED")
		}
	}
	p := db.ActivateWalletParams{TenantID: tenant, ID: walletID, Currency: &cur}
	// The reviewer's risk mitigation sets what it names; the customer's
	// categorisation (TRANSACTION_LIMITS) fills in the rest.
	if opt.ApplyRiskMitigation && rm != nil && (rm.TransactionLimits.DailyLimit != nil || rm.TransactionLimits.RequiresApprovalAbove != nil) {
		out.DailyLimit, out.RequiresApprovalAbove, out.LimitsSource = rm.TransactionLimits.DailyLimit, rm.TransactionLimits.RequiresApprovalAbove, LimitsRiskMitigation
	}
	if prof := customer.ProfileOf(c.Categorization); prof.HasLimits() {
		if out.DailyLimit == nil {
			out.DailyLimit = prof.DailyLimit
		}
		out.MonthlyLimit, out.SingleTransactionLimit = prof.MonthlyLimit, prof.SingleTransactionLimit
		if out.LimitsSource != LimitsRiskMitigation {
			out.LimitsSource = LimitsCategory
		}
	}
	if out.LimitsSource != LimitsNone {
		src := out.LimitsSource
		p.LimitsSource = &src
	}
	for dst, v := range map[*decimal.NullDecimal]*decimal.Decimal{&p.DailyLimit: out.DailyLimit, &p.RequiresApprovalAbove: out.RequiresApprovalAbove,
		&p.MonthlyLimit: out.MonthlyLimit, &p.SingleTransactionLimit: out.SingleTransactionLimit} {
		if v != nil {
			*dst = decimal.NullDecimal{Decimal: *v, Valid: true}
		}
	}
	out.WalletID, out.Currency = &walletID, cur
	if !opt.GenerateIBAN {
		_, err := q.ActivateWallet(ctx, p)
		return err
	}
	bank := strings.ToUpper(strings.TrimSpace(settings.BankCode))
	if bank == "" {
		if bank, err = iban.PlaceholderBankCode(settings.Country, tenant[:]); err != nil {
			return errIBANCountry(settings.Country)
		}
	}
	// A drawn account number may be taken (IBANs are unique across
	// tenants): each attempt runs in a savepoint so a collision costs a
	// retry, not the transaction.
	for attempt := 1; ; attempt++ {
		code, err := iban.Generate(settings.Country, bank)
		switch {
		case errors.Is(err, iban.ErrCountry):
			return errIBANCountry(settings.Country)
		case errors.Is(err, iban.ErrBankCode):
			return apperr.New(apperr.Conflict, "the organisation's bank code %q does not fit %s: it must be %s", bank, settings.Country,
				iban.Schemes[settings.Country].BankCodeDoc).WithAPI("BANK_CODE_INVALID")
		case err != nil:
			return err
		}
		p.Iban = &code
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = db.New(sp).ActivateWallet(ctx, p)
		if err == nil {
			out.IBAN = code
			return sp.Commit(ctx)
		}
		_ = sp.Rollback(ctx)
		if !db.IsUniqueViolation(err, "") || attempt == ibanAttempts {
			return err
		}
	}
}

func errIBANCountry(country string) error {
	var supported []string
	for c := range iban.Schemes {
		supported = append(supported, c)
	}
	slices.Sort(supported)
	return apperr.New(apperr.Conflict, "IBANs cannot be built for the organisation's country %s yet (supported: %s); activate with generateIBAN false",
		country, strings.Join(supported, ", ")).WithAPI("IBAN_NOT_SUPPORTED")
}
