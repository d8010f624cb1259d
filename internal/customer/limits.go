package customer

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// KindWalletLimits is the change request kind of overriding a wallet's
// transaction limits: a four-eyes change whose target is the wallet.
const KindWalletLimits = "wallet.limits"

// WalletTarget is the target type of change requests on a wallet.
const WalletTarget = "wallet"

// WalletActive is the status of a wallet in use; only its limits change.
const WalletActive = "ACTIVE"

// LimitsOverride is the limits source of limits an employee set under
// four-eyes, replacing what activation put on the wallet.
const LimitsOverride = "OVERRIDE"

// maxLimit bounds a limit: the numeric(18, 2) columns it lands in.
var maxLimit = decimal.New(1, 16)

// maxLimitScale is the most decimals those columns keep.
const maxLimitScale = 2

// LimitsRequest is the payload of a limit override: amounts as written,
// in the wallet's currency.
type LimitsRequest struct {
	DailyLimit            string `json:"dailyLimit"`
	RequiresApprovalAbove string `json:"requiresApprovalAbove"`
	Reason                string `json:"reason"`
}

// LimitsApplier overrides a wallet's daily limit and the amount above
// which a payment needs approval, under four-eyes.
type LimitsApplier struct {
	// MinorUnits is the number of decimals of a currency (ISO 4217) and
	// whether it is known; amounts never take more than two, the most the
	// wallet keeps. Nil allows two for every currency.
	MinorUnits func(currency string) (int32, bool)
}

// limitsState is what a limit override shows and changes of a wallet.
// Its fingerprint decides staleness: a wallet whose limits, source or
// status changed since the request is not overridden blind.
type limitsState struct {
	Status                string  `json:"status"`
	Currency              string  `json:"currency"`
	DailyLimit            *string `json:"dailyLimit"`
	RequiresApprovalAbove *string `json:"requiresApprovalAbove"`
	LimitsSource          *string `json:"limitsSource"`
}

func errNoWallet() error { return apperr.New(apperr.NotFound, "no such wallet") }

// load reads the wallet, locked: of two overrides approved at once, the
// second sees the first one's limits and is refused as stale.
func (LimitsApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (db.Wallet, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return db.Wallet{}, errNoWallet()
	}
	w, err := q.WalletForUpdate(ctx, db.WalletForUpdateParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return w, errNoWallet()
	}
	return w, err
}

func amountText(d decimal.NullDecimal) *string {
	if !d.Valid {
		return nil
	}
	s := d.Decimal.StringFixed(maxLimitScale)
	return &s
}

func stateOfWallet(w db.Wallet) limitsState {
	st := limitsState{Status: w.Status, DailyLimit: amountText(w.DailyLimit),
		RequiresApprovalAbove: amountText(w.RequiresApprovalAbove), LimitsSource: w.LimitsSource}
	if w.Currency != nil {
		st.Currency = *w.Currency
	}
	return st
}

// Current is the wallet's limits now.
func (a LimitsApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	w, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(stateOfWallet(w))
}

// Decimals is how many decimals a limit in currency may have: the
// currency's, and never more than the wallet keeps.
func (a LimitsApplier) Decimals(currency string) int32 {
	if a.MinorUnits == nil {
		return maxLimitScale
	}
	n, ok := a.MinorUnits(currency)
	if !ok {
		return maxLimitScale
	}
	return min(n, maxLimitScale)
}

// plainAmount is how people write an amount: digits, an optional point and
// decimals; no exponent, separators or currency sign.
var plainAmount = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// parseLimit reads one limit into fe's field, or nil when it is wrong.
func parseLimit(fe *apperr.Fields, field, v string, scale int32, currency string) *decimal.Decimal {
	v = strings.TrimSpace(v)
	if v == "" {
		fe.Add(field, "is required")
		return nil
	}
	d, err := decimal.NewFromString(v)
	switch {
	case err != nil || !plainAmount.MatchString(v):
		fe.Add(field, "must be an amount such as 2500.00")
	case d.IsNegative():
		fe.Add(field, "must be zero or more")
	case !d.Equal(d.Truncate(scale)) && scale == 0:
		fe.Add(field, "must be a whole amount: %s has no decimals", currency)
	case !d.Equal(d.Truncate(scale)):
		fe.Add(field, "must have at most %d decimal places", scale)
	case d.GreaterThanOrEqual(maxLimit):
		fe.Add(field, "must be less than 10,000,000,000,000,000")
	default:
		return &d
	}
	return nil
}

// next validates the request against the wallet and returns what the
// wallet would become.
func (a LimitsApplier) next(w db.Wallet, payload json.RawMessage) (limitsState, decimal.Decimal, decimal.Decimal, error) {
	var req LimitsRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return limitsState{}, decimal.Zero, decimal.Zero, apperr.New(apperr.Malformed, "the limits could not be read")
	}
	before := stateOfWallet(w)
	if w.Status != WalletActive {
		return before, decimal.Zero, decimal.Zero, apperr.New(apperr.Conflict, "the wallet is %s: only an active wallet's limits can change", w.Status)
	}
	var fe apperr.Fields
	scale := a.Decimals(before.Currency)
	daily := parseLimit(&fe, "dailyLimit", req.DailyLimit, scale, before.Currency)
	above := parseLimit(&fe, "requiresApprovalAbove", req.RequiresApprovalAbove, scale, before.Currency)
	if daily != nil && above != nil && above.GreaterThan(*daily) {
		// A payment above the daily limit is refused anyway: approval
		// above it would never be asked for.
		fe.Add("requiresApprovalAbove", "must not be more than the daily limit")
	}
	if strings.TrimSpace(req.Reason) == "" {
		fe.Add("reason", "is required: say why, for the audit trail")
	}
	if err := fe.Err(); err != nil {
		return before, decimal.Zero, decimal.Zero, err
	}
	after := before
	after.DailyLimit = amountText(decimal.NullDecimal{Decimal: *daily, Valid: true})
	after.RequiresApprovalAbove = amountText(decimal.NullDecimal{Decimal: *above, Valid: true})
	src := LimitsOverride
	after.LimitsSource = &src
	if same(before.DailyLimit, after.DailyLimit) && same(before.RequiresApprovalAbove, after.RequiresApprovalAbove) {
		return before, decimal.Zero, decimal.Zero, apperr.New(apperr.Conflict, "the wallet has these limits already")
	}
	return after, *daily, *above, nil
}

func same(a, b *string) bool { return a != nil && b != nil && *a == *b }

// Check refuses a wallet that is not active, limits that are not amounts,
// an approval threshold above the daily limit and a missing reason, and
// says what the limits become.
func (a LimitsApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	w, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	after, _, _, err := a.next(w, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(after)
}

// Apply puts the limits on the wallet, audited on the customer as the
// approving employee.
func (a LimitsApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	w, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	after, daily, above, err := a.next(w, payload)
	if err != nil {
		return nil, err
	}
	src := LimitsOverride
	if _, err := q.SetWalletLimits(ctx, db.SetWalletLimitsParams{TenantID: tenant, ID: w.ID,
		DailyLimit:            decimal.NullDecimal{Decimal: daily, Valid: true},
		RequiresApprovalAbove: decimal.NullDecimal{Decimal: above, Valid: true}, LimitsSource: &src}); err != nil {
		return nil, err
	}
	var req LimitsRequest
	_ = json.Unmarshal(payload, &req)
	before := stateOfWallet(w)
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "customer.wallet_limits.changed", EntityType: "customer",
		EntityID: w.CustomerID.String(), ReasonCode: "FOUR_EYES_APPROVED",
		Before: map[string]any{"walletId": w.ID, "dailyLimit": before.DailyLimit, "requiresApprovalAbove": before.RequiresApprovalAbove,
			"limitsSource": before.LimitsSource},
		After: map[string]any{"walletId": w.ID, "dailyLimit": after.DailyLimit, "requiresApprovalAbove": after.RequiresApprovalAbove,
			"limitsSource": after.LimitsSource, "reason": strings.TrimSpace(req.Reason)}}); err != nil {
		return nil, err
	}
	return json.Marshal(after)
}
