package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
	auditv "github.com/ciamhq/ciam/views/audit"
)

// piiView is what emp sees of customers' values: every page that shows
// customer data asks it (see internal/pii for the matrix).
func piiView(emp staff.Employee) pii.View { return pii.For(emp.AllRoles()) }

// customerText masks c's values, and those of the wallets given, in free
// text as v shows them.
func customerText(v pii.View, c customer.Customer, wallets ...customer.Wallet) *pii.Text {
	t := v.Text()
	learnCustomer(t, c, wallets...)
	return t
}

// learnCustomer teaches t the values of c and of its wallets.
func learnCustomer(t *pii.Text, c customer.Customer, wallets ...customer.Wallet) {
	t.Learn(pii.Email, c.Email)
	t.Learn(pii.Phone, c.PhoneNumber, c.AlternatePhoneNumber)
	if !c.DateOfBirth.IsZero() {
		t.Learn(pii.DateOfBirth, c.DateOfBirth.Format("2006-01-02"))
	}
	a := c.Address
	t.Learn(pii.Address, strings.TrimSpace(a.StreetNumber+" "+a.Street), a.Street, a.PostalCode, a.Apartment)
	if c.AnnualIncome != nil {
		t.Learn(pii.Income, c.AnnualIncome.StringFixed(2), c.AnnualIncome.String())
	}
	for _, w := range wallets {
		t.Learn(pii.Account, w.IBAN)
	}
}

// organisationRecords are the kinds of entity whose stored records hold
// the organisation's and its employees' data, not customers': their audit
// diffs and change requests are shown as they are (an employee's e-mail
// is no customer's).
var organisationRecords = map[string]bool{"staff": true, "tenant": true, "api_client": true, "webhook_subscription": true,
	"webhook_delivery": true, "aml_rule": true, "aml_list": true, "aml_rate": true, "category": true, "kyc_requirement": true,
	"screening_list_version": true, "screening_upload": true, "screening_settings": true, "fee": true, "connector": true, "branch": true}

// recordText masks a stored record (an audit record's before and after, a
// change request's diff) about entityType:entityID as emp may see it: nil
// for the organisation's own records; otherwise every key that holds a
// customer's value the view may not see, and the values of the customer
// the record is about wherever they appear.
func (s *server) recordText(ctx context.Context, emp staff.Employee, entityType, entityID string) (*pii.Text, error) {
	if organisationRecords[entityType] {
		return nil, nil
	}
	t := piiView(emp).Text()
	id, err := uuid.Parse(entityID)
	if err != nil {
		return t, nil
	}
	cust, err := s.recordCustomer(ctx, emp.TenantID, entityType, id)
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		return t, nil
	case err != nil:
		return nil, err
	case cust == uuid.Nil:
		return t, nil
	}
	c, err := s.Customers.Get(ctx, emp.TenantID, cust)
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		// Erased or never there: the keys are still masked.
		return t, nil
	case err != nil:
		return nil, err
	}
	learnCustomer(t, c)
	return t, nil
}

// recordCustomer is the customer a record about entityType:id concerns,
// or uuid.Nil when none is known: its values are masked wherever they
// appear in the record (a comment quoting a phone number).
func (s *server) recordCustomer(ctx context.Context, tenant uuid.UUID, entityType string, id uuid.UUID) (uuid.UUID, error) {
	switch entityType {
	case "customer":
		return id, nil
	case "verification_request":
		v, err := s.KYC.Get(ctx, tenant, id, nil)
		return v.CustomerID, err
	case "document":
		_, v, err := s.KYC.DocumentView(ctx, tenant, id)
		return v.CustomerID, err
	case "aml_alert":
		if s.AML == nil {
			return uuid.Nil, nil
		}
		a, err := s.AML.Alert(ctx, tenant, id)
		return a.CustomerID, err
	case "case":
		if s.Cases == nil {
			return uuid.Nil, nil
		}
		k, err := s.Cases.Get(ctx, tenant, id)
		return k.CustomerID, err
	case "screening_hit":
		if s.Screening == nil {
			return uuid.Nil, nil
		}
		h, err := s.Screening.HitDetail(ctx, tenant, id)
		return h.SubjectID, err
	}
	return uuid.Nil, nil
}

// maskJSON is raw with every value t masks masked; a nil t or a raw that
// is not JSON leaves it as it is.
func maskJSON(t *pii.Text, raw json.RawMessage) json.RawMessage {
	if t == nil || len(raw) == 0 {
		return raw
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return json.RawMessage(t.Mask(string(raw)))
	}
	out, err := json.Marshal(maskTree(t, "", v))
	if err != nil {
		return raw
	}
	return out
}

func maskTree(t *pii.Text, path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, child := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out[k] = maskTree(t, p, child)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, child := range x {
			out[i] = maskTree(t, path, child)
		}
		return out
	case string:
		return t.Value(path, x)
	case float64, json.Number:
		s := fmt.Sprint(x)
		if m := t.Value(path, s); m != s {
			return m
		}
		return x
	default:
		return x
	}
}

// maskedDiff is diffJSON of before and after, each value masked by t: a
// change of a masked value still shows, masked on both sides.
func maskedDiff(t *pii.Text, before, after json.RawMessage) []auditv.Change {
	out := diffJSON(before, after)
	if t == nil {
		return out
	}
	for i, c := range out {
		if c.Kind != "added" {
			out[i].Before = t.Value(c.Path, c.Before)
		}
		if c.Kind != "removed" {
			out[i].After = t.Value(c.Path, c.After)
		}
	}
	return out
}
