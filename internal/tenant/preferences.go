package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/iban"
	"github.com/ciamhq/ciam/internal/ratelimit"
)

// Preferences are an organisation's settings, edited on the portal's
// preferences page.
type Preferences struct {
	Locale                string        `json:"locale"`
	TimeZone              string        `json:"timeZone"`
	Currency              string        `json:"currency"`
	Country               string        `json:"country"`
	BankCode              string        `json:"bankCode"`
	MinCustomerAge        int           `json:"minCustomerAge"`
	LoginOTPRequired      bool          `json:"loginOtpRequired"`
	LoginMaxFailures      int           `json:"loginMaxFailures"`
	LoginLockout          time.Duration `json:"loginLockout"`
	PINLength             int           `json:"pinLength"`
	PINMaxFailures        int           `json:"pinMaxFailures"`
	OTPTTL                time.Duration `json:"otpTtl"`
	OTPMaxAttempts        int           `json:"otpMaxAttempts"`
	AccessTokenTTL        time.Duration `json:"accessTokenTtl"`
	RefreshTokenTTL       time.Duration `json:"refreshTokenTtl"`
	SelfieUncheckedBlocks bool          `json:"selfieUncheckedBlocksApproval"`
	// AutoActivate activates an approved customer's account at once with
	// the default activation options (guide 004, "Automatic Activation").
	AutoActivate bool `json:"autoActivate"`
	// Quality are the image quality limits documents are held to.
	Quality evidence.Thresholds `json:"qualityThresholds"`
	// RateLimits bound failed attempts at the token endpoint, customer
	// sign-in and registration.
	RateLimits ratelimit.Limits `json:"rateLimits"`
}

// PreferenceService reads and changes preferences and the password policy.
type PreferenceService struct {
	pool    *pgxpool.Pool
	tenants *Service
}

// NewPreferenceService returns the service.
func NewPreferenceService(pool *pgxpool.Pool, tenants *Service) *PreferenceService {
	return &PreferenceService{pool: pool, tenants: tenants}
}

func settingsRow(ctx context.Context, q *db.Queries, tenant uuid.UUID) (db.TenantSetting, error) {
	row, err := q.TenantSettings(ctx, tenant)
	if db.IsNotFound(err) {
		if err := q.EnsureTenantSettings(ctx, tenant); err != nil {
			return row, err
		}
		row, err = q.TenantSettings(ctx, tenant)
	}
	return row, err
}

func prefsFrom(row db.TenantSetting, tz string) Preferences {
	return Preferences{Locale: row.Locale, TimeZone: tz, Currency: row.Currency, Country: row.Country, BankCode: row.BankCode,
		MinCustomerAge: int(row.MinCustomerAge), LoginOTPRequired: row.LoginOtpRequired, LoginMaxFailures: int(row.LoginMaxFailures),
		LoginLockout: db.Duration(row.LoginLockout), PINLength: int(row.PinLength), PINMaxFailures: int(row.PinMaxFailures),
		OTPTTL: db.Duration(row.OtpTtl), OTPMaxAttempts: int(row.OtpMaxAttempts), AccessTokenTTL: db.Duration(row.AccessTokenTtl),
		RefreshTokenTTL: db.Duration(row.RefreshTokenTtl), SelfieUncheckedBlocks: row.SelfieUncheckedBlocksApproval,
		AutoActivate: row.AutoActivate, Quality: evidence.ThresholdsFrom(row.QualityThresholds),
		RateLimits: ratelimit.LimitsFrom(row.RateLimits)}
}

// Get returns tenant's preferences.
func (s *PreferenceService) Get(ctx context.Context, tenant uuid.UUID) (Preferences, error) {
	var p Preferences
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := settingsRow(ctx, q, tenant)
		if err != nil {
			return err
		}
		t, err := q.TenantByID(ctx, tenant)
		if err != nil {
			return err
		}
		p = prefsFrom(row, t.TimeZone)
		return nil
	})
	if err != nil {
		return Preferences{}, fmt.Errorf("tenant: preferences: %w", err)
	}
	return p, nil
}

var (
	localeRE   = regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	bankCodeRE = regexp.MustCompile(`^[A-Z0-9]{0,11}$`)
)

func between(fe *apperr.Fields, field string, v, lo, hi int) {
	if v < lo || v > hi {
		fe.Add(field, "must be between %d and %d", lo, hi)
	}
}

func durationBetween(fe *apperr.Fields, field string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		fe.Add(field, "must be between %s and %s", lo, hi)
	}
}

// ibanCountries are the countries IBANs can be built for, in order.
func ibanCountries() []string {
	out := make([]string, 0, len(iban.Schemes))
	for c := range iban.Schemes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Validate names every problem, by field.
func (p Preferences) Validate() error {
	var fe apperr.Fields
	if !localeRE.MatchString(p.Locale) {
		fe.Add("locale", "use a language tag such as en-GB or de-DE")
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "" {
		fe.Add("timeZone", "not a known time zone, e.g. Europe/London")
	}
	if !currencyRE.MatchString(p.Currency) {
		fe.Add("currency", "use an ISO 4217 code such as EUR or GBP")
	}
	if len(p.Country) != 2 || strings.ToUpper(p.Country) != p.Country {
		fe.Add("country", "use an ISO 3166 alpha-2 code such as GB")
	}
	if sc, ok := iban.Schemes[p.Country]; !bankCodeRE.MatchString(p.BankCode) {
		fe.Add("bankCode", "up to 11 upper-case letters and digits")
	} else if p.BankCode != "" && !ok {
		fe.Add("bankCode", "IBANs cannot be built for %s (they can for %s): leave it empty", p.Country, strings.Join(ibanCountries(), ", "))
	} else if p.BankCode != "" && !sc.BankCode.MatchString(p.BankCode) {
		// Activation builds every IBAN from it: one that fits no bank
		// code of the country would give customers IBANs no bank knows.
		fe.Add("bankCode", "for %s use %s", p.Country, sc.BankCodeDoc)
	}
	between(&fe, "minCustomerAge", p.MinCustomerAge, 0, 120)
	between(&fe, "loginMaxFailures", p.LoginMaxFailures, 1, 100)
	durationBetween(&fe, "loginLockout", p.LoginLockout, time.Minute, 24*time.Hour)
	between(&fe, "pinLength", p.PINLength, 4, 8)
	between(&fe, "pinMaxFailures", p.PINMaxFailures, 1, 20)
	durationBetween(&fe, "otpTtl", p.OTPTTL, 30*time.Second, time.Hour)
	between(&fe, "otpMaxAttempts", p.OTPMaxAttempts, 1, 20)
	durationBetween(&fe, "accessTokenTtl", p.AccessTokenTTL, time.Minute, 24*time.Hour)
	durationBetween(&fe, "refreshTokenTtl", p.RefreshTokenTTL, time.Hour, 365*24*time.Hour)
	q := p.Quality
	floatBetween(&fe, "qualityMinSharpness", q.MinSharpness, 0, 5000)
	floatBetween(&fe, "qualityMinSharpnessSelfie", q.MinSharpnessSelfie, 0, 5000)
	floatBetween(&fe, "qualityMaxGlare", q.MaxGlare*100, 0, 100) // a percentage on the form
	floatBetween(&fe, "qualityMinBrightness", q.MinBrightness, 0, 255)
	floatBetween(&fe, "qualityMinBrightnessSelfie", q.MinBrightnessSelfie, 0, 255)
	floatBetween(&fe, "qualityMaxBrightness", q.MaxBrightness, 0, 255)
	if !fe.Has("qualityMinBrightness") && !fe.Has("qualityMaxBrightness") && q.MaxBrightness <= q.MinBrightness {
		fe.Add("qualityMaxBrightness", "must be above the least brightness (%.0f)", q.MinBrightness)
	}
	between(&fe, "qualityMinSide", q.MinSide, 100, 4000)
	between(&fe, "qualityMinSideSelfie", q.MinSideSelfie, 100, 4000)
	floatBetween(&fe, "qualityMinFill", q.MinFill*100, 0, 100)
	if ae, ok := apperr.As(p.RateLimits.Validate()); ok {
		for _, f := range ae.Fields {
			fe.Add(f.Field, "%s", f.Issue)
		}
	}
	return fe.Err()
}

// Update changes tenant's preferences, audited with before and after and
// announced as config.changed.
func (s *PreferenceService) Update(ctx context.Context, tenant uuid.UUID, p Preferences) (Preferences, error) {
	if err := p.Validate(); err != nil {
		return Preferences{}, err
	}
	var out Preferences
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		beforeRow, err := settingsRow(ctx, q, tenant)
		if err != nil {
			return err
		}
		t, err := q.TenantByID(ctx, tenant)
		if err != nil {
			return err
		}
		before := prefsFrom(beforeRow, t.TimeZone)
		quality, err := json.Marshal(p.Quality)
		if err != nil {
			return err
		}
		limits, err := json.Marshal(p.RateLimits)
		if err != nil {
			return err
		}
		row, err := q.UpdatePreferences(ctx, db.UpdatePreferencesParams{TenantID: tenant, Locale: p.Locale, Currency: p.Currency,
			Country: p.Country, BankCode: p.BankCode, MinCustomerAge: int32(p.MinCustomerAge), LoginOtpRequired: p.LoginOTPRequired,
			LoginMaxFailures: int32(p.LoginMaxFailures), LoginLockout: db.Interval(p.LoginLockout), PinLength: int32(p.PINLength),
			PinMaxFailures: int32(p.PINMaxFailures), OtpTtl: db.Interval(p.OTPTTL), OtpMaxAttempts: int32(p.OTPMaxAttempts),
			AccessTokenTtl: db.Interval(p.AccessTokenTTL), RefreshTokenTtl: db.Interval(p.RefreshTokenTTL),
			SelfieUncheckedBlocksApproval: p.SelfieUncheckedBlocks, AutoActivate: p.AutoActivate, QualityThresholds: quality,
			RateLimits: limits})
		if err != nil {
			return err
		}
		if p.TimeZone != t.TimeZone {
			if err := q.SetTenantTimeZone(ctx, db.SetTenantTimeZoneParams{ID: tenant, TimeZone: p.TimeZone}); err != nil {
				return err
			}
		}
		out = prefsFrom(row, p.TimeZone)
		if before == out {
			return nil
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "preferences.updated", EntityType: "tenant",
			EntityID: tenant.String(), Before: before, After: out}); err != nil {
			return err
		}
		_, err = event.Write(ctx, q, event.Event{TenantID: tenant, Type: "config.changed", EntityType: "tenant", EntityID: tenant.String(),
			Payload: map[string]any{"change": "preferences.updated", "before": before, "after": out}})
		return err
	})
	if err != nil {
		return Preferences{}, fmt.Errorf("tenant: update preferences: %w", err)
	}
	s.tenants.Forget(tenant)
	return out, nil
}

// PasswordPolicy returns tenant's password policy.
func (s *PreferenceService) PasswordPolicy(ctx context.Context, tenant uuid.UUID) (credential.PasswordPolicy, error) {
	var p credential.PasswordPolicy
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := settingsRow(ctx, q, tenant)
		if err != nil {
			return err
		}
		p, err = credential.ParsePasswordPolicy(row.PasswordPolicy)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("tenant: password policy: %w", err)
	}
	return p, nil
}

// KindPasswordPolicy is the change request kind of a password policy
// change: a four-eyes change.
const KindPasswordPolicy = "password_policy.update"

// PolicyApplier applies password policy changes under four-eyes; the
// target is the tenant itself.
type PolicyApplier struct{}

// Current is the policy in force.
func (PolicyApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	row, err := settingsRow(ctx, q, tenant)
	if err != nil {
		return nil, err
	}
	p, err := credential.ParsePasswordPolicy(row.PasswordPolicy)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// Check validates the proposed policy.
func (PolicyApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var p credential.PasswordPolicy
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, apperr.New(apperr.Malformed, "the policy could not be read")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// Apply puts the policy in force.
func (a PolicyApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	after, err := a.Check(ctx, q, tenant, target, payload)
	if err != nil {
		return nil, err
	}
	before, err := a.Current(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	if err := q.UpdatePasswordPolicy(ctx, db.UpdatePasswordPolicyParams{TenantID: tenant, PasswordPolicy: after}); err != nil {
		return nil, err
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "password_policy.updated", EntityType: "tenant",
		EntityID: tenant.String(), ReasonCode: "FOUR_EYES_APPROVED", Before: before, After: after}); err != nil {
		return nil, err
	}
	return after, nil
}

func floatBetween(fe *apperr.Fields, field string, v, lo, hi float64) {
	if v < lo || v > hi || v != v {
		fe.Add(field, "must be between %g and %g", lo, hi)
	}
}
