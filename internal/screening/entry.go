package screening

import (
	"crypto/sha256"
	"slices"
	"strings"
)

// EntryType is what a list entry names. A person's name is never matched
// against a vessel's.
type EntryType string

// The entry types, as the API spells them.
const (
	Individual EntryType = "INDIVIDUAL"
	Entity     EntryType = "ENTITY"
	Vessel     EntryType = "VESSEL"
	Aircraft   EntryType = "AIRCRAFT"
)

// entryTypes lists the types in a fixed order, for per-type indexes.
var entryTypes = [...]EntryType{Individual, Entity, Vessel, Aircraft}

func (t EntryType) valid() bool {
	return slices.Contains(entryTypes[:], t)
}

func (t EntryType) index() int {
	return slices.Index(entryTypes[:], t)
}

// Entry is one record of a list: a person, a body, a vessel or an
// aircraft, with every name it is known by.
type Entry struct {
	// ID is the entry's id in its source (OFAC ent_num, UN DATAID, ...).
	ID           string
	Type         EntryType
	Name         string
	Aliases      []string
	DatesOfBirth []string // ISO 8601, possibly partial, ranges or circa: see dates.go
	Countries    []string // ISO 3166-1 alpha-2
	Programs     []string
	Remarks      string
	// Identifiers are the documents and codes the list gives the entry.
	Identifiers []Identifier
	// ListedOn is the date the publisher listed the entry (ISO 8601,
	// possibly partial), when the list says.
	ListedOn string
}

// Hash is the entry's content hash: any change to a name, alias, date,
// country, program, remark or the type changes it. Lists repeat aliases and
// countries in no fixed order, so those are compared as sets.
func (e Entry) Hash() []byte {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0x1f})
	}
	list := func(xs []string) {
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		field(strings.Join(sorted, "\x1e"))
	}
	field(string(e.Type))
	field(e.Name)
	list(e.Aliases)
	list(e.DatesOfBirth)
	list(e.Countries)
	list(e.Programs)
	field(e.Remarks)
	// Fields added after the first lists were loaded count only when set,
	// so that an entry without them hashes as it always did.
	if len(e.Identifiers) > 0 {
		list(identifierStrings(e.Identifiers))
	}
	if e.ListedOn != "" {
		field(e.ListedOn)
	}
	return h.Sum(nil)
}

// tidy trims an entry's fields and removes empty and repeated values, so
// that two loads of the same content hash alike.
func (e *Entry) tidy() {
	e.ID = strings.TrimSpace(e.ID)
	e.Name = collapseSpace(e.Name)
	e.Remarks = strings.TrimSpace(e.Remarks)
	e.Aliases = uniqueNonEmpty(e.Aliases, collapseSpace)
	e.Aliases = slices.DeleteFunc(e.Aliases, func(a string) bool { return a == e.Name })
	e.DatesOfBirth = uniqueNonEmpty(e.DatesOfBirth, strings.TrimSpace)
	e.Countries = uniqueNonEmpty(e.Countries, strings.TrimSpace)
	e.Programs = uniqueNonEmpty(e.Programs, strings.TrimSpace)
	e.Identifiers = tidyIdentifiers(e.Identifiers)
	e.ListedOn = strings.TrimSpace(e.ListedOn)
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func uniqueNonEmpty(xs []string, clean func(string) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		x = clean(x)
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
