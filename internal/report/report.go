// Package report makes the extracts a tenant hands its regulator and its
// auditors: report definitions are data (JSON files in definitions/, each
// choosing columns and filters of one of the product's read views), run on
// demand or on a schedule by a job that writes CSV or XLSX as it reads,
// page by page, so that a million rows take no more memory than one page.
// Files are kept sealed for the tenant's retention period and then deleted;
// every download is audited. It also builds goAML reports of SAR drafts
// (goaml.go).
package report

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

//go:embed definitions/*.json
var definitionFiles embed.FS

// Definition is one report as its file declares it.
type Definition struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Source names the read view the report selects from (sources.go).
	Source string `json:"source"`
	// Columns are keys of the source's columns, in the file's order.
	Columns []string `json:"columns"`
	// Filters are keys of the source's filters the person running the
	// report may set.
	Filters []string `json:"filters"`
	// Fixed are filter values the report always applies.
	Fixed map[string]string `json:"fixed"`
}

var idRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)

// Check reports what is wrong with d against the sources.
func (d Definition) Check() error {
	if !idRE.MatchString(d.ID) {
		return fmt.Errorf("id %q: lower-case letters, digits and _", d.ID)
	}
	if d.Title == "" {
		return fmt.Errorf("%s: no title", d.ID)
	}
	src, ok := sources[d.Source]
	if !ok {
		return fmt.Errorf("%s: no source %q", d.ID, d.Source)
	}
	if len(d.Columns) == 0 {
		return fmt.Errorf("%s: no columns", d.ID)
	}
	seen := map[string]bool{}
	for _, c := range d.Columns {
		if src.column(c) < 0 {
			return fmt.Errorf("%s: source %s has no column %q", d.ID, d.Source, c)
		}
		if seen[c] {
			return fmt.Errorf("%s: column %q twice", d.ID, c)
		}
		seen[c] = true
	}
	for _, f := range d.Filters {
		if src.filter(f) == nil {
			return fmt.Errorf("%s: source %s has no filter %q", d.ID, d.Source, f)
		}
		if _, fixed := d.Fixed[f]; fixed {
			return fmt.Errorf("%s: filter %q is both fixed and open", d.ID, f)
		}
	}
	for k, v := range d.Fixed {
		f := src.filter(k)
		if f == nil {
			return fmt.Errorf("%s: source %s has no filter %q", d.ID, d.Source, k)
		}
		if msg := f.check(v); msg != "" {
			return fmt.Errorf("%s: fixed %s: %s", d.ID, k, msg)
		}
	}
	return nil
}

// Filter is a filter the person running a report may set, for the form.
type Filter struct {
	Key, Label string
	// Kind is "choice", "country", "currency" or "date".
	Kind    string
	Options []Option
}

// Option is one choice of a choice filter.
type Option struct{ Value, Label string }

// Column is a column of a report, for the page that describes it.
type Column struct {
	Key, Header string
	// Personal says the column holds a customer's value masked per role.
	Personal bool
}

// OpenFilters are the filters of d a person may set.
func (d Definition) OpenFilters() []Filter {
	src := sources[d.Source]
	out := make([]Filter, 0, len(d.Filters))
	for _, k := range d.Filters {
		f := src.filter(k)
		out = append(out, Filter{Key: f.key, Label: f.label, Kind: f.kind, Options: f.options})
	}
	return out
}

// ColumnList are the columns of d, in order.
func (d Definition) ColumnList() []Column {
	src := sources[d.Source]
	out := make([]Column, 0, len(d.Columns))
	for _, k := range d.Columns {
		c := src.columns[src.column(k)]
		out = append(out, Column{Key: c.key, Header: c.header, Personal: c.field != "" && c.field != "name"})
	}
	return out
}

// Values are filter values by key, as a form or a schedule gives them.
type Values map[string]string

// Resolve checks in (the values a person gave) against d's open filters
// and adds d's fixed values; empty values are left out. Problems name the
// filter.
func (d Definition) Resolve(in Values) (Values, error) {
	src := sources[d.Source]
	out := Values{}
	var fe apperr.Fields
	for _, k := range d.Filters {
		v := strings.TrimSpace(in[k])
		if v == "" {
			continue
		}
		if msg := src.filter(k).check(v); msg != "" {
			fe.Add(k, "%s", msg)
			continue
		}
		out[k] = v
	}
	for k := range in {
		if !containsKey(d.Filters, k) && strings.TrimSpace(in[k]) != "" {
			fe.Add(k, "this report has no such filter")
		}
	}
	if s, u := out["since"], out["until"]; s != "" && u != "" && u < s {
		fe.Add("until", "must not be before the first day")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	for k, v := range d.Fixed {
		out[k] = v
	}
	return out, nil
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// Catalog is every report definition, loaded and checked once.
type Catalog struct {
	byID map[string]Definition
	list []Definition
}

// LoadCatalog reads and checks every definition file of fsys (a folder of
// *.json files); nil fsys reads the ones shipped in the binary.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	dir := "."
	if fsys == nil {
		fsys, dir = definitionFiles, "definitions"
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("report: definitions: %w", err)
	}
	c := &Catalog{byID: map[string]Definition{}}
	for _, n := range names {
		raw, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", n, err)
		}
		var d Definition
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("report: %s: %w", n, err)
		}
		if err := d.Check(); err != nil {
			return nil, fmt.Errorf("report: %s: %w", n, err)
		}
		if _, dup := c.byID[d.ID]; dup {
			return nil, fmt.Errorf("report: %s: id %s used twice", n, d.ID)
		}
		c.byID[d.ID] = d
		c.list = append(c.list, d)
	}
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].Title < c.list[j].Title })
	return c, nil
}

// MustCatalog is the shipped catalog; the files are part of the binary, so
// a bad one is a bug caught by the tests.
func MustCatalog() *Catalog {
	c, err := LoadCatalog(nil)
	if err != nil {
		panic(err)
	}
	return c
}

// List is every definition, by title.
func (c *Catalog) List() []Definition { return c.list }

// Get is the definition id.
func (c *Catalog) Get(id string) (Definition, error) {
	d, ok := c.byID[id]
	if !ok {
		return Definition{}, apperr.New(apperr.NotFound, "no such report")
	}
	return d, nil
}

// Formats of an extract.
const (
	CSV  = "CSV"
	XLSX = "XLSX"
)

// Schedules' periods.
const (
	Daily   = "DAILY"
	Weekly  = "WEEKLY"
	Monthly = "MONTHLY"
)

// next is when a schedule of every runs after at.
func next(every string, at time.Time) time.Time {
	switch every {
	case Weekly:
		return at.AddDate(0, 0, 7)
	case Monthly:
		return at.AddDate(0, 1, 0)
	}
	return at.AddDate(0, 0, 1)
}
