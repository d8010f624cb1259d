// Package compliance holds the regulatory packs (versioned JSON files in
// packs/, embedded), what a tenant enables of them per country with its
// overrides (a four-eyes change), the effective policy other packages
// read — retention periods, re-screening frequency, required fields, EDD
// triggers — and the custom compliance fields a pack or a tenant defines,
// with their validators. Fields that identify the person are stored as
// the customer's virtual documents (guide 002); the others in a table of
// their own, sealed when sensitive.
package compliance

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ciamhq/ciam/internal/customer"
)

//go:embed packs/*.json
var packFiles embed.FS

// RiskLevels are the risk levels a pack speaks of.
var RiskLevels = []string{"LOW", "MEDIUM", "HIGH"}

// Record kinds of the retention periods.
const (
	RecordCDD          = "cdd_records"
	RecordDocuments    = "documents"
	RecordTransactions = "transactions"
)

// RecordKinds are the kinds every pack gives a retention period.
var RecordKinds = []string{RecordCDD, RecordDocuments, RecordTransactions}

// What a retention period runs from.
var retentionStarts = []string{"relationship_end", "account_closed", "record_made", "transaction"}

// EDD measures, in ciam's terms: MANUAL_REVIEW routes the verification
// to people; ENHANCED_DUE_DILIGENCE is the review reason that says why
// (kyc.ReasonEDD); SOURCE_OF_FUNDS asks for the source-of-funds document
// and the profile's source of funds; SENIOR_MANAGEMENT_APPROVAL means a
// senior reviewer decides (a HIGH-risk verification).
var eddMeasures = []string{"MANUAL_REVIEW", "ENHANCED_DUE_DILIGENCE", "SOURCE_OF_FUNDS", "SENIOR_MANAGEMENT_APPROVAL"}

// profilePaths are the registration fields a pack may make required per
// risk level (those registration does not require already).
var profilePaths = []string{"individualCustomer.middleName", "individualCustomer.placeOfBirth", "individualCustomer.occupation",
	"individualCustomer.employerName", "individualCustomer.annualIncome", "individualCustomer.sourceOfFunds",
	"individualCustomer.alternatePhoneNumber", "individualCustomer.address.state"}

// Virtual document sub-types a field that identifies the person is kept as.
var virtualSubTypes = []string{"SSN", "TIN", "NATIONAL_ID", "PASSPORT_NUMBER"}

// Source is a text a pack rests on.
type Source struct {
	Title    string `json:"title"`
	Citation string `json:"citation"`
	URL      string `json:"url"`
}

// Retention is how long one kind of record is kept.
type Retention struct {
	// Days is the minimum the law sets.
	Days int `json:"days"`
	// MaxDays is the longest the law allows (0: no limit set).
	MaxDays int `json:"maxDays,omitempty"`
	// After is what the period runs from: relationship_end,
	// account_closed, record_made or transaction.
	After    string `json:"after"`
	Citation string `json:"citation"`
}

// FieldDef is a custom compliance field.
type FieldDef struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type is "id_number", "text" or "date".
	Type string `json:"type"`
	// Format names the validator (formats.go); "pattern" with Pattern.
	Format  string `json:"format"`
	Pattern string `json:"pattern,omitempty"`
	// Sensitive values are sealed at rest and masked per role.
	Sensitive bool `json:"sensitive"`
	// VirtualDocument, when set, says the field identifies the person:
	// it is stored as a virtual document of this sub-type.
	VirtualDocument string `json:"virtualDocument,omitempty"`
	// Countries are where the field applies (the customer's country of
	// residence, else nationality).
	Countries []string `json:"countries"`
	// RequiredAt are the risk levels at which it is required there.
	RequiredAt []string `json:"requiredAt"`
	Citation   string   `json:"citation,omitempty"`
}

// EDD says when enhanced due diligence applies and what it means.
type EDD struct {
	PEP               bool     `json:"pep"`
	RiskLevels        []string `json:"riskLevels"`
	HighRiskCountries []string `json:"highRiskCountries"`
	Measures          []string `json:"measures"`
	Citation          string   `json:"citation"`
}

// Pack is one regulatory pack as its file declares it.
type Pack struct {
	ID           string               `json:"id"`
	Version      string               `json:"version"`
	Name         string               `json:"name"`
	Jurisdiction string               `json:"jurisdiction"`
	Countries    []string             `json:"countries"`
	Sources      []Source             `json:"sources"`
	Retention    map[string]Retention `json:"retention"`
	// ProfileFields are registration fields required per risk level.
	ProfileFields   map[string][]string `json:"profileFields"`
	ProfileCitation string              `json:"profileCitation"`
	Fields          []FieldDef          `json:"fields"`
	EDD             EDD                 `json:"edd"`
	// RescreenDays is how often a customer is screened again, per risk.
	RescreenDays     map[string]int `json:"rescreenDays"`
	RescreenCitation string         `json:"rescreenCitation"`
	// PeriodicReviewDays is how often the customer's data is reviewed
	// (re-KYC), per risk, where the pack sets it.
	PeriodicReviewDays map[string]int `json:"periodicReviewDays,omitempty"`
	// Reports are ids of report definitions (internal/report) the
	// regulator expects.
	Reports []string `json:"reports"`
}

// Covers reports whether the pack may be enabled for country.
func (p Pack) Covers(country string) bool { return slices.Contains(p.Countries, country) }

var (
	packIDRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)
	fieldNameRE = regexp.MustCompile(`^[a-z][A-Za-z0-9]{1,39}$`)
)

// checkField reports what is wrong with a field definition, naming the
// property.
func checkField(f FieldDef) (string, string) {
	switch {
	case !fieldNameRE.MatchString(f.Name):
		return "name", "must be 2 to 40 letters and digits, starting with a lower-case letter (e.g. taxIdDE)"
	case strings.TrimSpace(f.Label) == "" || len([]rune(f.Label)) > 100:
		return "label", "is required, at most 100 characters"
	case !slices.Contains([]string{"id_number", "text", "date"}, f.Type):
		return "type", "must be id_number, text or date"
	case f.VirtualDocument != "" && !slices.Contains(virtualSubTypes, f.VirtualDocument):
		return "virtualDocument", "must be one of " + strings.Join(virtualSubTypes, ", ")
	case f.VirtualDocument != "" && !f.Sensitive:
		return "sensitive", "must be true for a field that identifies the person"
	case len(f.Countries) == 0:
		return "countries", "must name at least one country"
	}
	if f.Format == "pattern" {
		if _, err := patternFormat(f.Pattern); err != nil {
			return "pattern", err.Error()
		}
	} else if _, ok := formats[f.Format]; !ok {
		return "format", "must be one of " + strings.Join(FormatNames(), ", ")
	}
	for _, c := range f.Countries {
		if !customer.ValidCountry(c) {
			return "countries", fmt.Sprintf("%q is not an ISO 3166 alpha-2 country code", c)
		}
	}
	for _, r := range f.RequiredAt {
		if !slices.Contains(RiskLevels, r) {
			return "requiredAt", "must list LOW, MEDIUM or HIGH"
		}
	}
	return "", ""
}

// Check reports what is wrong with the pack, naming the property; reports
// are the ids of the report definitions there are.
func (p Pack) Check(reports func(id string) bool) error {
	bad := func(prop, msg string, args ...any) error {
		return fmt.Errorf("pack %s: %s: %s", p.ID, prop, fmt.Sprintf(msg, args...))
	}
	switch {
	case !packIDRE.MatchString(p.ID):
		return fmt.Errorf("pack %q: id: lower-case letters, digits and _", p.ID)
	case strings.TrimSpace(p.Version) == "":
		return bad("version", "is required")
	case strings.TrimSpace(p.Name) == "":
		return bad("name", "is required")
	case len(p.Countries) == 0:
		return bad("countries", "must name at least one country")
	case len(p.Sources) == 0:
		return bad("sources", "must cite at least one text")
	}
	for i, s := range p.Sources {
		if s.Title == "" || s.Citation == "" {
			return bad(fmt.Sprintf("sources[%d]", i), "needs a title and a citation")
		}
	}
	for _, c := range append(slices.Clone(p.Countries), p.EDD.HighRiskCountries...) {
		if !customer.ValidCountry(c) {
			return bad("countries", "%q is not an ISO 3166 alpha-2 country code", c)
		}
	}
	for _, k := range RecordKinds {
		r, ok := p.Retention[k]
		switch {
		case !ok:
			return bad("retention."+k, "is missing")
		case r.Days < 1 || r.Days > 36525:
			return bad("retention."+k+".days", "must be 1 to 36525")
		case r.MaxDays != 0 && r.MaxDays < r.Days:
			return bad("retention."+k+".maxDays", "is less than days")
		case !slices.Contains(retentionStarts, r.After):
			return bad("retention."+k+".after", "must be one of %s", strings.Join(retentionStarts, ", "))
		case r.Citation == "":
			return bad("retention."+k+".citation", "is required")
		}
	}
	for k := range p.Retention {
		if !slices.Contains(RecordKinds, k) {
			return bad("retention."+k, "is not a record kind (%s)", strings.Join(RecordKinds, ", "))
		}
	}
	for risk, paths := range p.ProfileFields {
		if !slices.Contains(RiskLevels, risk) {
			return bad("profileFields."+risk, "is not LOW, MEDIUM or HIGH")
		}
		for _, f := range paths {
			if !slices.Contains(profilePaths, f) {
				return bad("profileFields."+risk, "%q is not one of %s", f, strings.Join(profilePaths, ", "))
			}
		}
	}
	seen := map[string]bool{}
	for i, f := range p.Fields {
		if prop, msg := checkField(f); prop != "" {
			return bad(fmt.Sprintf("fields[%d].%s", i, prop), "%s", msg)
		}
		if seen[f.Name] {
			return bad(fmt.Sprintf("fields[%d].name", i), "%s twice", f.Name)
		}
		seen[f.Name] = true
		if f.Citation == "" {
			return bad(fmt.Sprintf("fields[%d].citation", i), "is required")
		}
	}
	for _, r := range p.EDD.RiskLevels {
		if !slices.Contains(RiskLevels, r) {
			return bad("edd.riskLevels", "must list LOW, MEDIUM or HIGH")
		}
	}
	if len(p.EDD.Measures) == 0 {
		return bad("edd.measures", "must name at least one measure")
	}
	for _, m := range p.EDD.Measures {
		if !slices.Contains(eddMeasures, m) {
			return bad("edd.measures", "%q is not one of %s", m, strings.Join(eddMeasures, ", "))
		}
	}
	if p.EDD.Citation == "" {
		return bad("edd.citation", "is required")
	}
	for _, r := range RiskLevels {
		if d := p.RescreenDays[r]; d < 1 || d > 3660 {
			return bad("rescreenDays."+r, "must be 1 to 3660")
		}
	}
	if len(p.RescreenDays) != len(RiskLevels) {
		return bad("rescreenDays", "must give LOW, MEDIUM and HIGH only")
	}
	for _, id := range p.Reports {
		if reports != nil && !reports(id) {
			return bad("reports", "%q is not a report definition", id)
		}
	}
	return nil
}

// Catalog is the packs there are, by id.
type Catalog struct {
	byID map[string]Pack
	list []Pack
}

// LoadCatalog reads every packs/*.json of fsys (the embedded packs when
// nil), each checked; the first broken file fails the load, named.
// reports says which report definitions exist (nil: any).
func LoadCatalog(fsys fs.FS, reports func(id string) bool) (*Catalog, error) {
	if fsys == nil {
		fsys = packFiles
	}
	names, err := fs.Glob(fsys, "packs/*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{byID: map[string]Pack{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var p Pack
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		if err := p.Check(reports); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		if _, dup := c.byID[p.ID]; dup {
			return nil, fmt.Errorf("%s: pack %s declared twice", path.Base(name), p.ID)
		}
		c.byID[p.ID] = p
		c.list = append(c.list, p)
	}
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].Name < c.list[j].Name })
	return c, nil
}

// List is every pack, by name.
func (c *Catalog) List() []Pack { return c.list }

// Get is the pack with that id.
func (c *Catalog) Get(id string) (Pack, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// MustCatalog is the embedded packs, checked against the report
// definitions there are; a broken pack (which the package's tests refuse)
// panics.
func MustCatalog(reports func(id string) bool) *Catalog {
	c, err := LoadCatalog(nil, reports)
	if err != nil {
		panic(err)
	}
	return c
}
