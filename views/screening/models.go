// Package screening holds the screening pages: the hits queue and one hit
// beside the list entry it is about, screening a name by hand, the lists
// with their versions and differences, the operator's upload with its
// progress, and the tenant's screening settings.
package screening

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ciamhq/ciam/views/components"
)

// HitRow is one hit in the queue.
type HitRow struct {
	ID          string
	SubjectName string
	Source      string
	EntryID     string
	EntryName   string
	MatchedName string
	MatchStatus string
	Status      string
	Score       float64
	CreatedAt   time.Time
}

// Queue is the hits queue.
type Queue struct {
	Rows     []HitRow
	Pager    components.Pager
	Status   string
	Source   string
	MinScore string
	Sources  []string
	// Counts are the hits per status (OPEN, CONFIRMED, DISMISSED) under
	// the source and score filters.
	Counts map[string]int64
	Error  string
	Loc    *time.Location
	Now    time.Time
}

// Pair is two words paired by the matcher.
type Pair struct {
	Query, Matched                  string
	JaroWinkler, Similarity, Weight float64
	Phonetic, Initial               bool
}

// Factor is one contribution to a score.
type Factor struct {
	Factor, Detail string
	Contribution   float64
}

// Explanation says why a name matched.
type Explanation struct {
	MatchedName     string
	NameKind        string
	Pairs           []Pair
	UnpairedQuery   []string
	UnpairedMatched []string
	Factors         []Factor
	Score           float64
}

// Customer is the screened customer's side of a hit.
type Customer struct {
	ID          string
	Name        string
	DateOfBirth string
	Nationality string
	Country     string
	Status      string
	Risk        string
	// Found is false when the customer record could not be read.
	Found bool
}

// Entry is the list entry's side of a hit.
type Entry struct {
	Source, ListKind, EntryID string
	ListVersion               int
	Name, Type                string
	Aliases, DatesOfBirth     []string
	Countries, Programs       []string
	Remarks                   string
}

// FieldChange is one field that differs between two versions of an entry.
type FieldChange struct {
	Field          string
	Removed, Added []string
}

// Earlier is an earlier hit of the customer on the same entry.
type Earlier struct {
	Status      string
	Note        string
	DecidedBy   string
	DecidedAt   *time.Time
	CreatedAt   time.Time
	ListVersion int
	Changes     []FieldChange
}

// HitDetail is one hit with the decision form.
type HitDetail struct {
	ID          string
	Status      string
	MatchStatus string
	Score       float64
	CreatedAt   time.Time
	DecidedBy   string
	DecidedAt   *time.Time
	Note        string
	Customer    Customer
	Entry       Entry
	Explanation Explanation
	// AlsoOn are the other lists' entries found to be the same subject
	// ("UN_CONSOLIDATED entry 6908911: JIMMY CHERIZIER").
	AlsoOn []string
	// Current is UNCHANGED, CHANGED or REMOVED: the entry in the source's
	// current version (CurrentVersion) against what the hit saw.
	Current        string
	CurrentVersion int
	Earlier        []Earlier
	CanDecide      bool
	Error          string
	Draft          string
	Loc            *time.Location
	Now            time.Time
}

// Match is a search result.
type Match struct {
	EntryID, Source, ListKind string
	ListVersion               int
	Name, MatchedName, Type   string
	Status                    string
	Score                     float64
	Explanation               Explanation
}

// ListChecked names a list version searched.
type ListChecked struct {
	Source, Kind string
	Version      int
	Entries      int
}

// Search is the page that screens a name by hand.
type Search struct {
	Values   map[string]string
	Errors   map[string]string
	Searched bool
	Matches  []Match
	Lists    []ListChecked
}

// Version is one version of a list.
type Version struct {
	ID, Source                       string
	Seq                              int
	Status                           string
	LoadedAt                         time.Time
	LoadedBy, FileName, Checksum     string
	Entries, Added, Removed, Changed int
	Error                            string
	First                            bool // no version before it
	// PublishedAt is when the publisher published it, where the file
	// says so.
	PublishedAt *time.Time
}

// Source is a list with its versions, newest first.
type Source struct {
	ID, Name, Kind, Format string
	Versions               []Version
	// Fetch is how the source is fetched from its publisher, when it is.
	Fetch *Fetch
	// Published is the publication date of the version in use, when known.
	Published string
	// Fresh is how old the version in use is; nil when none is.
	Fresh *Freshness
}

// Fetch is a source's fetch settings and its last fetch.
type Fetch struct {
	URL, Schedule, LastResult, LastError, Alert string
	Enabled                                     bool
	LastAttemptAt, LastSuccessAt                *time.Time
	// Held is a file waiting for a person: its entries against those in use.
	Held                     bool
	HeldEntries, HeldCurrent int
}

// Freshness is the age of the list version in use.
type Freshness struct {
	// Published is true when the age counts from the publisher's date,
	// false when from the load (the file carries no date).
	Published bool
	Since     time.Time
	Age       string // "3 days old"
	// Stale is true past the tenant's limit, MaxDays.
	Stale   bool
	MaxDays int
}

// Upload is a list handed in through the portal.
type Upload struct {
	ID, Format, Status, Stage string
	Done, Total               int
	Files                     []string
	SizeBytes                 int64
	Error                     string
	VersionID                 string
	CreatedBy                 string
	CreatedAt                 time.Time
}

// Lists is the lists page.
type Lists struct {
	Sources []Source
	// Alerts are the sources failing, stale or holding a file, for the
	// banner.
	Alerts []string
	// FetchOn says the lists are fetched from their publishers here.
	FetchOn   bool
	Uploads   []Upload
	CanUpload bool
	Loc       *time.Location
	Now       time.Time
}

// DiffItem is one changed entry.
type DiffItem struct {
	Change, EntryID, Name, Type string
	Fields                      []FieldChange
	// Summary is the entry's dates, countries and programs, for added and
	// removed entries.
	Summary []string
}

// Diff is a version's changes against the previous one.
type Diff struct {
	Version  Version
	Previous *Version
	Change   string
	Items    []DiffItem
	Pager    components.Pager
	Loc      *time.Location
	Now      time.Time
}

// UploadForm is the operator's upload form.
type UploadForm struct {
	Format      string
	AllowShrink bool
	Errors      map[string]string
}

// SourceToggle is one list a tenant may screen against.
type SourceToggle struct {
	ID, Name, Kind string
	Enabled        bool
}

// Settings is the tenant's screening settings page.
type Settings struct {
	Match, Possible string
	// Enhanced is the stricter threshold of enhanced screening; "" when
	// derived, EnhancedDefault what it is derived as.
	Enhanced, EnhancedDefault string
	// MaxListAge is the list age, in days, past which the lists page
	// warns.
	MaxListAge string
	Sources    []SourceToggle
	Errors     map[string]string
	CanEdit    bool
}

// Score shows a score with two decimals.
func Score(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// Signed shows a contribution with its sign.
func Signed(f float64) string {
	if f >= 0 {
		return "+" + strconv.FormatFloat(f, 'f', 3, 64)
	}
	return strconv.FormatFloat(f, 'f', 3, 64)
}

// StatusTone colours a hit status.
func StatusTone(s string) string {
	switch s {
	case "OPEN":
		return "amber"
	case "CONFIRMED":
		return "red"
	case "DISMISSED":
		return "green"
	default:
		return "gray"
	}
}

// MatchTone colours a match status.
func MatchTone(s string) string {
	if s == "MATCH" {
		return "red"
	}
	return "amber"
}

// VersionTone colours a version status.
func VersionTone(s string) string {
	switch s {
	case "CURRENT":
		return "green"
	case "FAILED":
		return "red"
	default:
		return "gray"
	}
}

// UploadTone colours an upload status.
func UploadTone(s string) string {
	switch s {
	case "DONE":
		return "green"
	case "FAILED":
		return "red"
	default:
		return "amber"
	}
}

// Percent is how far an upload has come.
func (u Upload) Percent() int {
	if u.Status == "DONE" {
		return 100
	}
	stages := map[string]int{"parse": 0, "write": 1, "index": 2}
	base, ok := stages[u.Stage]
	if !ok {
		return 0
	}
	frac := 0.0
	if u.Total > 0 {
		frac = float64(u.Done) / float64(u.Total)
	}
	// Writing is most of the work.
	weights := []float64{0.1, 0.8, 0.1}
	p := 0.0
	for i := 0; i < base; i++ {
		p += weights[i]
	}
	p += weights[base] * frac
	return int(p * 100)
}

// Finished reports whether the upload's job is over.
func (u Upload) Finished() bool { return u.Status == "DONE" || u.Status == "FAILED" }

// StageLabel says what the load is doing.
func (u Upload) StageLabel() string {
	switch {
	case u.Status == "QUEUED":
		return "Waiting for a worker"
	case u.Status == "DONE":
		return "Loaded"
	case u.Status == "FAILED":
		return "Refused"
	case u.Stage == "parse":
		return "Reading the files"
	case u.Stage == "write":
		return fmt.Sprintf("Writing entries: %s of %s", components.Count(int64(u.Done)), components.Count(int64(u.Total)))
	case u.Stage == "index":
		return "Building the search index"
	}
	return "Working"
}

// Bytes shows a size.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ChangeTone colours a kind of change.
func ChangeTone(c string) string {
	switch c {
	case "ADDED":
		return "green"
	case "REMOVED":
		return "red"
	default:
		return "amber"
	}
}

// PublishedAge says how long ago an ISO 8601 publication date was.
func PublishedAge(published string, now time.Time) string {
	t, err := time.Parse("2006-01-02", published)
	if err != nil {
		return "date unreadable"
	}
	days := int(now.Sub(t).Hours() / 24)
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", days)
}

// AnyLoaded reports whether any source has a version: sources set up for
// fetching have none until their first fetch.
func (l Lists) AnyLoaded() bool {
	for _, s := range l.Sources {
		if len(s.Versions) > 0 {
			return true
		}
	}
	return false
}
