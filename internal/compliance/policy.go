package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
)

// Overrides are a tenant's changes to a pack's values for the countries it
// enabled the pack for.
type Overrides struct {
	// RetentionDays per record kind; never below the pack's minimum nor
	// above its maximum.
	RetentionDays map[string]int `json:"retentionDays,omitempty"`
	// RescreenDays per risk level.
	RescreenDays map[string]int `json:"rescreenDays,omitempty"`
	// Required sets, per field name (the pack's or the tenant's), the risk
	// levels at which the field is required; an empty list makes it
	// optional.
	Required map[string][]string `json:"required,omitempty"`
	// Fields are the tenant's own fields.
	Fields []FieldDef `json:"fields,omitempty"`
}

// Hash is the SHA-256 of the overrides as JSON (maps sorted), in hex:
// what is recorded with each decision.
func (o Overrides) Hash() string {
	b, _ := json.Marshal(o)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PackRef names the pack in force: its id and version and the hash of
// the tenant's overrides. The zero PackRef is ciam's defaults.
type PackRef struct {
	ID            string `json:"id"`
	Version       string `json:"version"`
	OverridesHash string `json:"overridesHash"`
}

// Policy is what applies to a customer of one country at one risk level:
// the pack in force for the country with the tenant's overrides, or
// ciam's defaults where no pack is enabled.
type Policy struct {
	Country   string
	RiskLevel string
	Pack      PackRef
	// PackName is the pack's name, "" for the defaults.
	PackName string
	// Retention holds the periods in days per record kind:
	// "cdd_records", "documents", "transactions".
	Retention map[string]int
	// RetentionRules say what each period runs from and the text it rests
	// on (Days there are the pack's, before overrides).
	RetentionRules map[string]Retention
	// RescreenDays is how often the customer is screened again.
	RescreenDays int
	// ProfileFields are registration fields required at this risk level
	// beyond those registration always requires.
	ProfileFields []string
	// Fields are the custom fields that apply in the country, required
	// or not; Required names those required at this risk level.
	Fields   []FieldDef
	Required []string
	// EDD is when enhanced due diligence applies and what it means.
	EDD EDD
	// Reports are the report definitions the regulator expects.
	Reports []string
	Sources []Source
}

// NeedsEDD reports whether enhanced due diligence applies to a customer
// under p: a HIGH (or other listed) risk level, a politically exposed
// person when the pack says so, or a nationality or residence in a
// high-risk country.
func (p Policy) NeedsEDD(nationality, residence string, pep bool) bool {
	return slices.Contains(p.EDD.RiskLevels, p.RiskLevel) || (pep && p.EDD.PEP) ||
		slices.Contains(p.EDD.HighRiskCountries, nationality) || slices.Contains(p.EDD.HighRiskCountries, residence)
}

// Field is the applying field of that name.
func (p Policy) Field(name string) (FieldDef, bool) {
	i := slices.IndexFunc(p.Fields, func(f FieldDef) bool { return f.Name == name })
	if i < 0 {
		return FieldDef{}, false
	}
	return p.Fields[i], true
}

// defaultRetentionDays is FATF Recommendation 11's five years, kept where
// no pack is enabled.
const defaultRetentionDays = 1826

// DefaultPolicy is what applies where the tenant enabled no pack.
func DefaultPolicy(country, risk string) Policy {
	rules := map[string]Retention{}
	days := map[string]int{}
	for _, k := range RecordKinds {
		after := "relationship_end"
		if k == RecordTransactions {
			after = "transaction"
		}
		rules[k] = Retention{Days: defaultRetentionDays, After: after, Citation: "FATF Recommendation 11: at least five years (ciam's default where no pack is enabled)"}
		days[k] = defaultRetentionDays
	}
	rescreen := map[string]int{"LOW": 365, "MEDIUM": 180, "HIGH": 90}[risk]
	return Policy{Country: country, RiskLevel: risk, Retention: days, RetentionRules: rules, RescreenDays: rescreen,
		ProfileFields: []string{}, Fields: []FieldDef{}, Required: []string{}, Reports: []string{},
		EDD: EDD{PEP: true, RiskLevels: []string{"HIGH"}, HighRiskCountries: []string{},
			Measures: []string{"MANUAL_REVIEW", "ENHANCED_DUE_DILIGENCE"}, Citation: "FATF Recommendations 10, 12 and 19 (ciam's default)"}}
}

// policyOf is the pack p as overridden by o, for country and risk.
func policyOf(p Pack, o Overrides, country, risk string) Policy {
	pol := Policy{Country: country, RiskLevel: risk, Pack: PackRef{ID: p.ID, Version: p.Version, OverridesHash: o.Hash()}, PackName: p.Name,
		Retention: map[string]int{}, RetentionRules: p.Retention, RescreenDays: p.RescreenDays[risk],
		ProfileFields: slices.Clone(p.ProfileFields[risk]), Fields: []FieldDef{}, Required: []string{}, EDD: p.EDD,
		Reports: slices.Clone(p.Reports), Sources: p.Sources}
	if pol.ProfileFields == nil {
		pol.ProfileFields = []string{}
	}
	for _, k := range RecordKinds {
		pol.Retention[k] = p.Retention[k].Days
		if d, ok := o.RetentionDays[k]; ok {
			pol.Retention[k] = d
		}
	}
	if d, ok := o.RescreenDays[risk]; ok {
		pol.RescreenDays = d
	}
	for _, f := range append(slices.Clone(p.Fields), o.Fields...) {
		if !slices.Contains(f.Countries, country) {
			continue
		}
		if req, ok := o.Required[f.Name]; ok {
			f.RequiredAt = req
		}
		pol.Fields = append(pol.Fields, f)
		if slices.Contains(f.RequiredAt, risk) {
			pol.Required = append(pol.Required, f.Name)
		}
	}
	return pol
}

// Enablement is a pack a tenant enabled, for its countries, with its
// overrides.
type Enablement struct {
	PackID    string    `json:"packId"`
	Version   string    `json:"packVersion"`
	Countries []string  `json:"countries"`
	Overrides Overrides `json:"overrides"`
}

// PackChange is the payload of a compliance.pack.set change request:
// enable (or change) pack PackID for Countries with Overrides, or, with
// Disable, turn it off.
type PackChange struct {
	Countries []string  `json:"countries"`
	Overrides Overrides `json:"overrides"`
	Disable   bool      `json:"disable,omitempty"`
}

// checkChange validates a change of pack p against the tenant's other
// enablements; the problems name the form's fields.
func checkChange(p Pack, c *PackChange, others []Enablement) error {
	var fe apperr.Fields
	if c.Disable {
		return nil
	}
	seen := map[string]bool{}
	var countries []string
	for _, raw := range c.Countries {
		cc := strings.ToUpper(strings.TrimSpace(raw))
		if cc == "" || seen[cc] {
			continue
		}
		seen[cc] = true
		if !p.Covers(cc) {
			fe.Add("countries", "%s is not a country of %s (it covers %s)", cc, p.Name, strings.Join(p.Countries, ", "))
			continue
		}
		for _, e := range others {
			if e.PackID != p.ID && slices.Contains(e.Countries, cc) {
				fe.Add("countries", "%s is already under the pack %s: disable it there first", cc, e.PackID)
			}
		}
		countries = append(countries, cc)
	}
	sort.Strings(countries)
	if len(countries) == 0 && !fe.Has("countries") {
		fe.Add("countries", "name at least one country the pack applies to")
	}
	c.Countries = countries
	o := &c.Overrides
	for k, d := range o.RetentionDays {
		r, ok := p.Retention[k]
		switch {
		case !ok:
			fe.Add("retentionDays."+k, "is not a record kind (%s)", strings.Join(RecordKinds, ", "))
		case d < r.Days:
			fe.Add("retentionDays."+k, "must be at least %d days: %s", r.Days, r.Citation)
		case r.MaxDays > 0 && d > r.MaxDays:
			fe.Add("retentionDays."+k, "must be at most %d days: %s", r.MaxDays, r.Citation)
		case d > 36525:
			fe.Add("retentionDays."+k, "must be at most 36525 days")
		case d == r.Days:
			delete(o.RetentionDays, k) // the pack's own value is no override
		}
	}
	for risk, d := range o.RescreenDays {
		switch {
		case !slices.Contains(RiskLevels, risk):
			fe.Add("rescreenDays."+risk, "is not LOW, MEDIUM or HIGH")
		case d < 1 || d > 3660:
			fe.Add("rescreenDays."+risk, "must be 1 to 3660 days")
		case d == p.RescreenDays[risk]:
			delete(o.RescreenDays, risk)
		}
	}
	names := map[string]bool{}
	for _, f := range p.Fields {
		names[f.Name] = true
	}
	for i := range o.Fields {
		f := &o.Fields[i]
		path := fmt.Sprintf("fields[%d]", i)
		if len(f.Countries) == 0 {
			f.Countries = slices.Clone(countries)
		}
		if f.Type == "" {
			f.Type = "text"
			if f.VirtualDocument != "" {
				f.Type = "id_number"
			}
		}
		if prop, msg := checkField(*f); prop != "" {
			fe.Add(path+"."+prop, "%s", msg)
			continue
		}
		if names[f.Name] {
			fe.Add(path+".name", "%s is a field already", f.Name)
		}
		names[f.Name] = true
		for _, cc := range f.Countries {
			if !slices.Contains(countries, cc) {
				fe.Add(path+".countries", "%s is not one of the countries the pack is enabled for", cc)
			}
		}
	}
	for name, levels := range o.Required {
		if !names[name] {
			fe.Add("required."+name, "is not a field of the pack or of the tenant")
			continue
		}
		for _, r := range levels {
			if !slices.Contains(RiskLevels, r) {
				fe.Add("required."+name, "must list LOW, MEDIUM or HIGH")
			}
		}
		if i := slices.IndexFunc(p.Fields, func(f FieldDef) bool { return f.Name == name }); i >= 0 && slices.Equal(p.Fields[i].RequiredAt, levels) {
			delete(o.Required, name)
		}
		// A tenant's own field carries its levels itself.
		if i := slices.IndexFunc(o.Fields, func(f FieldDef) bool { return f.Name == name }); i >= 0 {
			o.Fields[i].RequiredAt = levels
			delete(o.Required, name)
		}
	}
	if len(o.RetentionDays) == 0 {
		o.RetentionDays = nil
	}
	if len(o.RescreenDays) == 0 {
		o.RescreenDays = nil
	}
	if len(o.Required) == 0 {
		o.Required = nil
	}
	return fe.Err()
}

// validCountry is customer.ValidCountry, for the requirements query.
func validCountry(c string) bool { return customer.ValidCountry(c) }
