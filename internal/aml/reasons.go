package aml

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// ClosingReason is one of a tenant's reasons for closing an alert or a
// case. SAR marks the reasons that mean a suspicious-activity report.
type ClosingReason struct {
	Code   string
	Label  string
	SAR    bool
	Active bool
}

// Codes of the built-in closing reasons.
const (
	ReasonFalsePositive = "FALSE_POSITIVE"
	ReasonExplained     = "EXPLAINED_NO_SAR"
	ReasonSAR           = "SAR_DRAFTED"
)

// DefaultClosingReasons are a tenant's closing reasons until its
// administrator changes them.
var DefaultClosingReasons = []ClosingReason{
	{Code: ReasonFalsePositive, Label: "False positive", Active: true},
	{Code: ReasonExplained, Label: "Explained, no SAR", Active: true},
	{Code: ReasonSAR, Label: "SAR filed/draft", SAR: true, Active: true},
}

func closingReasons(ctx context.Context, q *db.Queries, tenant uuid.UUID) ([]ClosingReason, bool, error) {
	rows, err := q.ClosingReasons(ctx, tenant)
	if err != nil {
		return nil, false, err
	}
	if len(rows) == 0 {
		return slices.Clone(DefaultClosingReasons), false, nil
	}
	out := make([]ClosingReason, len(rows))
	for i, r := range rows {
		out[i] = ClosingReason{Code: r.Code, Label: r.Label, SAR: r.Sar, Active: r.Active}
	}
	return out, true, nil
}

// ClosingReasons lists the tenant's closing reasons, the inactive ones
// too, in the order the forms offer them.
func (s *Service) ClosingReasons(ctx context.Context, tenant uuid.UUID) ([]ClosingReason, error) {
	var out []ClosingReason
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		out, _, err = closingReasons(ctx, q, tenant)
		return err
	})
	if err != nil {
		return nil, errf("closing reasons: %w", err)
	}
	return out, nil
}

// ActiveClosingReason is the tenant's active reason code in q, or a field
// error on field: closing needs one of them.
func ActiveClosingReason(ctx context.Context, q *db.Queries, tenant uuid.UUID, field, code string) (ClosingReason, error) {
	reasons, _, err := closingReasons(ctx, q, tenant)
	if err != nil {
		return ClosingReason{}, err
	}
	if strings.TrimSpace(code) == "" {
		return ClosingReason{}, apperr.Validation(apperr.FieldError{Field: field, Issue: "is required: choose one of the closing reasons"})
	}
	for _, r := range reasons {
		if r.Code == code && r.Active {
			return r, nil
		}
	}
	return ClosingReason{}, apperr.Validation(apperr.FieldError{Field: field, Issue: "is not one of this organisation's closing reasons"})
}

var reasonCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,39}$`)

// codeOf makes a code from a label: "Duplicate alert" → DUPLICATE_ALERT.
func codeOf(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToUpper(label) {
		switch {
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		default:
			under = true
		}
	}
	c := b.String()
	if len(c) > 40 {
		c = strings.TrimRight(c[:40], "_")
	}
	if c != "" && (c[0] < 'A' || c[0] > 'Z') {
		c = "R_" + c
	}
	return c
}

// reasonsState is what the audit trail records of a tenant's reasons.
func reasonsState(rs []ClosingReason) []map[string]any {
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = map[string]any{"code": r.Code, "label": r.Label, "sar": r.SAR, "active": r.Active}
	}
	return out
}

// saveReasons stores rs as the tenant's list (materialising the defaults
// on the first change), audited with before.
func (s *Service) saveReasons(ctx context.Context, tenant uuid.UUID, change func(rs []ClosingReason) ([]ClosingReason, error)) ([]ClosingReason, error) {
	var out []ClosingReason
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		before, _, err := closingReasons(ctx, q, tenant)
		if err != nil {
			return err
		}
		after, err := change(slices.Clone(before))
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(after, func(r ClosingReason) bool { return r.Active }) {
			return apperr.Validation(apperr.FieldError{Field: "code", Issue: "keep at least one active closing reason: alerts and cases could not be closed otherwise"})
		}
		for i, r := range after {
			if _, err := q.UpsertClosingReason(ctx, db.UpsertClosingReasonParams{TenantID: tenant, Code: r.Code, Label: r.Label,
				Sar: r.SAR, Active: r.Active, Position: int32(i)}); err != nil {
				return err
			}
		}
		out = after
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "closing_reasons.updated", EntityType: "tenant", EntityID: tenant.String(),
			Before: reasonsState(before), After: reasonsState(after)})
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, errf("closing reasons: %w", err)
	}
	return out, nil
}

// AddClosingReason adds a reason named label (SAR: it means a report).
func (s *Service) AddClosingReason(ctx context.Context, tenant uuid.UUID, label string, sar bool) (ClosingReason, error) {
	label = strings.Join(strings.Fields(label), " ")
	switch n := len([]rune(label)); {
	case n == 0:
		return ClosingReason{}, apperr.Validation(apperr.FieldError{Field: "label", Issue: "is required: name the reason as analysts will read it"})
	case n > 80:
		return ClosingReason{}, apperr.Validation(apperr.FieldError{Field: "label", Issue: "must be at most 80 characters"})
	}
	if strings.IndexFunc(label, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return ClosingReason{}, apperr.Validation(apperr.FieldError{Field: "label", Issue: "must contain a letter or a digit"})
	}
	code := codeOf(label)
	if !reasonCode.MatchString(code) {
		// A label in another script: a code of its own, stable for the label.
		sum := sha256.Sum256([]byte(strings.ToLower(label)))
		code = "R_" + strings.ToUpper(hex.EncodeToString(sum[:6]))
	}
	added := ClosingReason{Code: code, Label: label, SAR: sar, Active: true}
	_, err := s.saveReasons(ctx, tenant, func(rs []ClosingReason) ([]ClosingReason, error) {
		for _, r := range rs {
			if r.Code == code || strings.EqualFold(r.Label, label) {
				return nil, apperr.Validation(apperr.FieldError{Field: "label", Issue: "a reason with this name exists already"})
			}
		}
		return append(rs, added), nil
	})
	return added, err
}

// SetClosingReasonActive offers a reason again or no longer; alerts and
// cases closed with it keep it in their history.
func (s *Service) SetClosingReasonActive(ctx context.Context, tenant uuid.UUID, code string, active bool) error {
	_, err := s.saveReasons(ctx, tenant, func(rs []ClosingReason) ([]ClosingReason, error) {
		i := slices.IndexFunc(rs, func(r ClosingReason) bool { return r.Code == code })
		if i < 0 {
			return nil, apperr.New(apperr.NotFound, "no such closing reason")
		}
		rs[i].Active = active
		return rs, nil
	})
	return err
}
