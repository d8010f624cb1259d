package web

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/approval"
	"github.com/ciamhq/ciam/internal/catalog"
	"github.com/ciamhq/ciam/internal/compliance"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/tenant"
	"github.com/ciamhq/ciam/views/approvals"
)

// A change request is shown as the kind of change reads to a person: each
// field with its label and its value before and after, as the screen that
// edits it shows it (amounts with their currency, dates in the tenant's
// zone, an AML rule's condition as the rule builder shows it, null as
// "none"), with every field of the target, changed or not, so that the
// checker decides knowing what they approve even where their role may not
// open the target's page.

// readable is what the approval page shows of a request beyond its
// status: the fields, the link to the target, and for AML rules the
// shadow run of the proposed version.
type readable struct {
	Fields      []approvals.Field
	Target      approvals.Link
	TargetNote  string
	Shadow      *approvals.Link
	ShadowNote  string
	TargetTitle string
}

// none is how an absent value reads.
const none = "none"

func (s *server) readableRequest(ctx context.Context, emp staff.Employee, req approval.Request, loc *time.Location, mask *pii.Text) (readable, error) {
	var out readable
	switch req.Kind {
	case catalog.KindFeeCreate, catalog.KindFeeUpdate:
		out.Fields = feeFields(req.Before, req.After, loc)
		out.TargetTitle = "Fee rule"
		if req.Kind == catalog.KindFeeUpdate || req.Status == approval.StatusApproved {
			out.Target = approvals.Link{URL: "/config/fees/" + req.TargetID, Label: "Open the fee rule"}
		}
		s.gate(&out, emp, staff.PermConfigRead)
	case aml.KindPublish, aml.KindRollback, aml.KindDeactivate:
		if err := s.amlFields(ctx, emp, req, loc, &out); err != nil {
			return out, err
		}
		out.TargetTitle = "AML rule"
		out.Target = approvals.Link{URL: "/aml/rules/" + req.TargetID, Label: "Open the rule"}
		s.gate(&out, emp, staff.PermAMLRulesRead)
	default:
		out.Fields = genericFields(req.Before, req.After, loc, mask)
		switch req.TargetType {
		case "staff":
			out.TargetTitle, out.Target = "Employee", approvals.Link{URL: "/staff", Label: "Open the staff list"}
			s.gate(&out, emp, staff.PermStaffRead)
		case "customer":
			out.TargetTitle, out.Target = "Customer", approvals.Link{URL: "/customers/" + req.TargetID, Label: "Open the customer"}
			s.gate(&out, emp, staff.PermCustomersRead)
		case customer.WalletTarget:
			out.TargetTitle = "Wallet"
			if req.Kind == customer.KindWalletLimits {
				out.Fields = walletFields(req.Before, req.After)
			}
		case "tenant":
			if req.Kind == tenant.KindPasswordPolicy {
				out.TargetTitle, out.Target = "Password policy", approvals.Link{URL: "/config/password-policy", Label: "Open the password policy"}
				s.gate(&out, emp, staff.PermConfigRead)
			}
		case compliance.PackTarget:
			out.TargetTitle, out.Target = "Regulatory pack", approvals.Link{URL: "/config/compliance-packs#pack-" + req.TargetID, Label: "Open the regulatory packs"}
			s.gate(&out, emp, staff.PermConfigRead)
		case catalog.ConnectorTarget:
			out.TargetTitle, out.Target = "Connector", approvals.Link{URL: "/config/connectors/" + req.TargetID, Label: "Open the connector"}
			s.gate(&out, emp, staff.PermConfigRead)
		}
	}
	return out, nil
}

// gate keeps the link to the target only for those who may open it, and
// tells the others that the page shows all there is to decide on.
func (s *server) gate(out *readable, emp staff.Employee, p staff.Permission) {
	if out.Target.URL == "" || emp.Can(p) {
		return
	}
	out.Target = approvals.Link{}
	out.TargetNote = "Your role does not open this page; every field the change sets is shown here, before and after."
}

// object decodes a stored state; null and nothing are an empty object.
func object(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	return m
}

// field is one labelled field, its two values and whether it changed.
func field(label, before, after string, mono bool) approvals.Field {
	return approvals.Field{Label: label, Before: before, After: after, Changed: before != after, Mono: mono}
}

func stateStr(m map[string]any, k string) (string, bool) {
	v, ok := m[k]
	if !ok || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		if t {
			return "yes", true
		}
		return "no", true
	}
	return plainJSON(v, ""), true
}

// feeAmount is a stored amount with the rule's currency; "none" stays.
func feeAmount(v, currency string) string {
	if v == "" || v == none {
		return none
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		return v
	}
	if currency == "" || currency == "any" {
		return d.String()
	}
	return money(d, currency)
}

// storedTierText is a tier as a change request keeps it (catalog.TierText:
// "0 – 1000: 0.5 + 1.25 %").
var storedTierText = regexp.MustCompile(`^(\S+) – (\S+): (\S+) \+ (\S+) %$`)

// storedTier is a kept tier as the fee page shows it, its amounts in the
// rule's currency (tierText); kept as it is for a rule of any currency.
func storedTier(v, cur string) string {
	m := storedTierText.FindStringSubmatch(v)
	if m == nil || cur == "" || cur == "any" {
		return v
	}
	var t catalog.Tier
	var err error
	if t.From, err = decimal.NewFromString(m[1]); err != nil {
		return v
	}
	if m[2] != "∞" {
		if t.UpTo.Decimal, err = decimal.NewFromString(m[2]); err != nil {
			return v
		}
		t.UpTo.Valid = true
	}
	if t.Fixed, err = decimal.NewFromString(m[3]); err != nil {
		return v
	}
	if t.Percentage, err = decimal.NewFromString(m[4]); err != nil {
		return v
	}
	return tierText(t, cur)
}

// zoned reads an RFC 3339 time as the tenant reads it.
func zoned(v string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

// feeFields are a fee rule's fields as the fee form shows them.
func feeFields(before, after json.RawMessage, loc *time.Location) []approvals.Field {
	b, a := object(before), object(after)
	exists := len(b) > 0
	get := func(m map[string]any, k string, format func(string, map[string]any) string) string {
		if len(m) == 0 {
			return none
		}
		v, ok := stateStr(m, k)
		if !ok || v == "" {
			return none
		}
		if format != nil {
			return format(v, m)
		}
		return v
	}
	amount := func(v string, m map[string]any) string { c, _ := stateStr(m, "currency"); return feeAmount(v, c) }
	fields := []struct {
		key, label string
		format     func(string, map[string]any) string
	}{
		{"name", "Name", nil},
		{"transactionType", "Transaction type", nil},
		{"country", "Country", nil},
		{"currency", "Currency", nil},
		{"channel", "Channel", nil},
		{"customerCategory", "Customer category", nil},
		{"fixed", "Fixed part", amount},
		{"percentage", "Percentage", func(v string, _ map[string]any) string { return v + " %" }},
		{"minimum", "Minimum fee", amount},
		{"maximum", "Maximum fee", amount},
		{"effectiveFrom", "Effective from", func(v string, _ map[string]any) string { return zoned(v, loc) }},
		{"status", "State", func(v string, _ map[string]any) string { return strings.ToLower(v[:1]) + strings.ToLower(v[1:]) }},
	}
	var out []approvals.Field
	for _, f := range fields {
		out = append(out, field(f.label, get(b, f.key, f.format), get(a, f.key, f.format), false))
	}
	tiers := func(m map[string]any) string {
		if len(m) == 0 {
			return none
		}
		list, _ := m["tiers"].([]any)
		if len(list) == 0 {
			return "no tiers"
		}
		c, _ := stateStr(m, "currency")
		parts := make([]string, 0, len(list))
		for _, t := range list {
			parts = append(parts, storedTier(fmt.Sprint(t), c))
		}
		return strings.Join(parts, "; ")
	}
	out = append(out, field("Amount tiers", tiers(b), tiers(a), false))
	if !exists {
		// A new rule: nothing was there before.
		for i := range out {
			out[i].Before = none
		}
	}
	return out
}

// amlFields are an AML rule's version in force before and after, each as
// the rule page shows it, with the condition as the rule builder shows it,
// and the shadow run made of the proposed version.
func (s *server) amlFields(ctx context.Context, emp staff.Employee, req approval.Request, loc *time.Location, out *readable) error {
	id, err := uuid.Parse(req.TargetID)
	if err != nil {
		out.Fields = genericFields(req.Before, req.After, loc, nil)
		return nil
	}
	d, err := s.AML.Rule(ctx, emp.TenantID, id)
	if err != nil {
		return err
	}
	versions := map[int]aml.Version{}
	for _, v := range d.Versions {
		versions[v.Version.Version] = v.Version
	}
	state := func(raw json.RawMessage) (int, map[string]any) {
		m := object(raw)
		n := -1
		if v, ok := m["activeVersion"].(float64); ok {
			n = int(v)
		}
		rule, _ := m["rule"].(map[string]any)
		return n, rule
	}
	bn, br := state(req.Before)
	an, ar := state(req.After)
	version := func(n int) string {
		if n < 0 {
			return "none: the rule is off"
		}
		return "version " + strconv.Itoa(n)
	}
	val := func(rule map[string]any, k string) string {
		if rule == nil {
			return none
		}
		v, ok := stateStr(rule, k)
		if !ok || v == "" {
			return none
		}
		return v
	}
	condition := func(n int, rule map[string]any) string {
		if rule == nil {
			return none
		}
		if v, ok := versions[n]; ok && v.Form != nil {
			return formText(*v.Form)
		}
		return val(rule, "condition")
	}
	out.Fields = []approvals.Field{
		field("Version in force", version(bn), version(an), false),
		field("Name", val(br, "name"), val(ar, "name"), false),
		field("Description", val(br, "description"), val(ar, "description"), false),
		field("Applies to", val(br, "scope"), val(ar, "scope"), false),
		field("Condition", condition(bn, br), condition(an, ar), false),
		field("Condition as CEL", val(br, "condition"), val(ar, "condition"), true),
		field("Outcome", val(br, "outcome"), val(ar, "outcome"), false),
		field("Score", val(br, "score"), val(ar, "score"), false),
	}
	if an < 0 {
		return nil
	}
	// The shadow run of the version proposed, newest first.
	for _, run := range d.ShadowRuns {
		if run.Version != an {
			continue
		}
		text := fmt.Sprintf("Shadow run of version %d over %d days (%s): %d hits on %d customers", run.Version, run.Days,
			strings.ToLower(run.Status), run.Hits, run.Customers)
		if run.ActiveHits != nil && run.ActiveVersion != nil {
			text += fmt.Sprintf(", against %d for version %d in force", *run.ActiveHits, *run.ActiveVersion)
		}
		out.Shadow = &approvals.Link{URL: "/aml/rules/" + req.TargetID + "/shadow/" + run.ID.String(), Label: text + "."}
		if !emp.Can(staff.PermAMLRulesRead) {
			out.ShadowNote, out.Shadow.URL = out.Shadow.Label, ""
		}
		return nil
	}
	out.ShadowNote = fmt.Sprintf("No shadow run of version %d was made: its effect on past transactions is not known.", an)
	return nil
}

// formText is a form-made condition as the rule builder shows it: the
// kind and each parameter with its label.
func formText(f aml.Form) string {
	k, ok := aml.FormKindOf(f.Kind)
	if !ok {
		return f.Kind
	}
	parts := []string{}
	for _, fl := range k.Fields {
		v := strings.TrimSpace(f.Params[fl.Name])
		if v == "" {
			if !fl.Optional {
				continue
			}
			v = "any"
			if fl.Hint != "" && strings.HasPrefix(fl.Hint, "empty: ") {
				v = strings.TrimPrefix(fl.Hint, "empty: ")
			}
		}
		parts = append(parts, fl.Label+" "+v)
	}
	return k.Label + ": " + strings.Join(parts, ", ")
}

var camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// label turns a stored key into words: "effectiveFrom" reads "Effective
// from", "address.postalCode" reads "Address › postal code".
func label(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		p = strings.ReplaceAll(camel.ReplaceAllString(p, "$1 $2"), "_", " ")
		p = strings.ToLower(p)
		if i == 0 && p != "" {
			r := []rune(p)
			r[0] = unicode.ToUpper(r[0])
			p = string(r)
		}
		parts[i] = p
	}
	return strings.Join(parts, " › ")
}

// stateWords is a stored value as a person reads it: strings without quotes,
// lists joined, null as "none", times in the tenant's zone.
func stateWords(v any, loc *time.Location) string {
	switch t := v.(type) {
	case nil:
		return none
	case string:
		if t == "" {
			return none
		}
		if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return zoned(t, loc)
		}
		return t
	case bool:
		if t {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		if len(t) == 0 {
			return none
		}
		parts := make([]string, 0, len(t))
		for _, x := range t {
			parts = append(parts, stateWords(x, loc))
		}
		return strings.Join(parts, ", ")
	}
	return plainJSON(v, "")
}

// leaves flattens a state into dotted paths; lists stay whole.
func leaves(prefix string, v any, out map[string]any) {
	if m, ok := v.(map[string]any); ok {
		for k, child := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leaves(p, child, out)
		}
		return
	}
	if prefix != "" {
		out[prefix] = v
	}
}

// genericFields are every field of the target before and after, labelled
// and in words, masked as the one rule lets the employee see them.
func genericFields(before, after json.RawMessage, loc *time.Location, mask *pii.Text) []approvals.Field {
	b, a := map[string]any{}, map[string]any{}
	leaves("", decode(before), b)
	leaves("", decode(after), a)
	keys := []string{}
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	out := make([]approvals.Field, 0, len(keys))
	for _, k := range keys {
		bv, av := stateWords(b[k], loc), stateWords(a[k], loc)
		if mask != nil {
			if bv != none {
				bv = mask.Value(k, bv)
			}
			if av != none {
				av = mask.Value(k, av)
			}
		}
		out = append(out, field(label(k), bv, av, false))
	}
	return out
}

// walletFields are a wallet's limits with the wallet's currency, as the
// limits form shows them.
func walletFields(before, after json.RawMessage) []approvals.Field {
	b, a := object(before), object(after)
	get := func(m map[string]any, k string, amount bool) string {
		v, ok := stateStr(m, k)
		if !ok || v == "" {
			return none
		}
		if amount {
			c, _ := stateStr(m, "currency")
			return feeAmount(v, c)
		}
		return v
	}
	var out []approvals.Field
	for _, f := range []struct {
		key, label string
		amount     bool
	}{{"currency", "Currency", false}, {"dailyLimit", "Daily limit", true}, {"requiresApprovalAbove", "Requires approval above", true},
		{"limitsSource", "Limits source", false}, {"status", "Wallet status", false}} {
		out = append(out, field(f.label, get(b, f.key, f.amount), get(a, f.key, f.amount), false))
	}
	return out
}
