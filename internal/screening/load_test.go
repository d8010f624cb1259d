package screening

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/tenant"
)

func operatorCtx(t *testing.T) context.Context {
	return actor.With(t.Context(), actor.Actor{Kind: actor.Employee, ID: "op-1", Name: "Platform Operator"})
}

func newTenant(t testing.TB) uuid.UUID {
	t.Helper()
	tn, err := tenant.NewService(dbtest.Pool(t)).Create(t.Context(), tenant.CreateParams{
		Slug: "scr-" + uuid.NewString()[:8], Name: "Screening test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tn.ID
}

// fakeSubjects is an in-memory customer base.
type fakeSubjects []Subject

func (f fakeSubjects) EachActive(ctx context.Context, fn func(Subject) error) error {
	for _, s := range f {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

func mustLoad(t *testing.T, svc *Service, format Format, path string, opts LoadOptions) LoadResult {
	t.Helper()
	res, err := svc.Load(operatorCtx(t), format, path, opts)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return res
}

func hitOn(hits []Hit, subject uuid.UUID, entryID string) *Hit {
	for i := range hits {
		if hits[i].SubjectID == subject && hits[i].EntryID == entryID {
			return &hits[i]
		}
	}
	return nil
}

// TestOFACUpdateDiffAndRescreen loads the 2019 edition of the SDN list and
// then the 2021 edition, checks the diff on entries that really changed,
// and re-screens customers against what 2021 added and changed.
func TestOFACUpdateDiffAndRescreen(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	tenantA, tenantB := newTenant(t), newTenant(t)

	r19 := mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2019"), LoadOptions{AllowShrink: true})
	if r19.Version.Entries != 7379 || r19.Version.Status != "CURRENT" {
		t.Fatalf("2019 version = %+v", r19.Version)
	}

	// Under 2019: Maher al-Assad is on the list as "AL-ASAD, Mahir" and
	// Miguel Angel Rodriguez Orejuela as himself; the analysts dismiss
	// both hits.
	maher := Subject{ID: uuid.New(), TenantID: tenantA, Name: "Maher al-Assad"}
	miguel := Subject{ID: uuid.New(), TenantID: tenantA, Name: "Miguel Angel Rodriguez Orejuela", DateOfBirth: "1943-11-23"}
	for _, sub := range []Subject{maher, miguel} {
		res, err := svc.ScreenSubject(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		want := map[uuid.UUID]string{maher.ID: "12725", miguel.ID: "4108"}[sub.ID]
		h := hitOn(res.NewHits, sub.ID, want)
		if h == nil {
			t.Fatalf("screening %q under 2019: no hit on %s; hits %+v", sub.Name, want, res.NewHits)
		}
		if _, err := svc.DecideHit(ctx, tenantA, h.ID, Decision{Status: HitDismissed, Note: "different person: checked the passport"}); err != nil {
			t.Fatal(err)
		}
	}

	r21 := mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2021"), LoadOptions{})
	v := r21.Version
	if v.Seq != r19.Version.Seq+1 || v.Entries != 8976 || v.PreviousVersionID == nil || *v.PreviousVersionID != r19.Version.ID {
		t.Fatalf("2021 version = %+v", v)
	}
	d := r21.Diff
	if len(d.Added) != 1858 || len(d.Removed) != 261 {
		t.Errorf("diff: %d added, %d removed; want 1858 and 261", len(d.Added), len(d.Removed))
	}
	if v.Added != len(d.Added) || v.Removed != len(d.Removed) || v.Changed != len(d.Changed) {
		t.Errorf("version counts %d/%d/%d differ from the diff", v.Added, v.Removed, v.Changed)
	}
	tests := []struct {
		id   string
		want string // ADDED, REMOVED, CHANGED or "" for unchanged
		why  string
	}{
		{"21844", "ADDED", "HAKIMZADA, Harmohan Singh was designated after 2019"},
		{"18299", "ADDED", "ROSNEFT TRADING S.A. was designated after 2019"},
		{"587", "REMOVED", "CRUZ, Juan M. de la left the list"},
		{"1544", "REMOVED", "NAVIERA MARITIMA DE AROSA, S.A. left the list"},
		{"12725", "CHANGED", "AL-ASAD, Mahir is now AL-ASSAD, Maher"},
		{"906", "CHANGED", "HAVANA INTERNATIONAL BANK, LTD. is now HAVIN BANK LIMITED, the old name an alias"},
		{"12610", "CHANGED", "GADDAFI, Ayesha is now QADHAFI, Ayesha"},
		{"4108", "", "RODRIGUEZ OREJUELA, Miguel Angel is the same in both"},
		{"306", "", "BANCO NACIONAL DE CUBA is the same in both"},
	}
	for _, tc := range tests {
		got := ""
		switch {
		case slices.Contains(d.Added, tc.id):
			got = "ADDED"
		case slices.Contains(d.Removed, tc.id):
			got = "REMOVED"
		case slices.Contains(d.Changed, tc.id):
			got = "CHANGED"
		}
		if got != tc.want {
			t.Errorf("entry %s: got %q, want %q (%s)", tc.id, got, tc.want, tc.why)
		}
	}
	changes, err := svc.Changes(ctx, v.ID, "ADDED", 5000)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(changes, func(c Change) bool { return c.EntryID == "21844" }); i < 0 || changes[i].Name != "HAKIMZADA, Harmohan Singh" {
		t.Errorf("changes of the 2021 version do not name 21844")
	}
	removed, err := svc.Changes(ctx, v.ID, "REMOVED", 5000)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(removed, func(c Change) bool { return c.EntryID == "587" }); i < 0 || removed[i].Name != "CRUZ, Juan M. de la" {
		t.Errorf("removed entries are not named from the previous version")
	}
	versions, err := svc.Versions(ctx, "OFAC_SDN", 10)
	if err != nil {
		t.Fatal(err)
	}
	if versions[0].ID != v.ID || versions[1].ID != r19.Version.ID || versions[1].Status != "SUPERSEDED" {
		t.Errorf("versions = %+v", versions[:2])
	}

	// Tenant B screens against no OFAC list: its customers get no OFAC hits.
	if _, err := svc.UpdateSettings(ctx, tenantB, SettingsUpdate{Sources: map[string]bool{"OFAC_SDN": false}}); err != nil {
		t.Fatal(err)
	}
	harmohan := Subject{ID: uuid.New(), TenantID: tenantA, Name: "Harmohan Singh Hakimzada", DateOfBirth: "1953-06-23"}
	harmohanB := Subject{ID: uuid.New(), TenantID: tenantB, Name: "Harmohan Singh Hakimzada"}
	smith := Subject{ID: uuid.New(), TenantID: tenantA, Name: "John Smith"}
	res, err := svc.Rescreen(ctx, v.ID, fakeSubjects{maher, miguel, harmohan, harmohanB, smith})
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects != 5 || res.Entries != len(d.Added)+len(d.Changed) {
		t.Errorf("rescreen = %+v; want 5 subjects and %d entries", res, len(d.Added)+len(d.Changed))
	}
	hitsA, err := svc.ListHits(ctx, tenantA, HitFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if h := hitOn(hitsA, harmohan.ID, "21844"); h == nil || h.Status != HitOpen || h.MatchStatus != StatusMatch {
		t.Errorf("no open MATCH hit for an entry added in 2021: %+v", h)
	}
	// The entry changed, so the dismissed hit on its old content does not
	// hold: a new, open hit.
	var maherHits []Hit
	for _, h := range hitsA {
		if h.SubjectID == maher.ID && h.EntryID == "12725" {
			maherHits = append(maherHits, h)
		}
	}
	if len(maherHits) != 2 || maherHits[0].Status != HitOpen || maherHits[1].Status != HitDismissed {
		t.Errorf("hits on the changed entry 12725 = %+v; want a new open one beside the dismissed one", maherHits)
	}
	// Unchanged entries are not re-screened, and screening again in full
	// keeps a dismissed hit dismissed.
	full, err := svc.ScreenSubject(ctx, miguel)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(full.Matches, func(m Match) bool { return m.EntryID == "4108" }) || hitOn(full.NewHits, miguel.ID, "4108") != nil {
		t.Errorf("screening again: matches %d, new hits %+v; want 4108 matched and no new hit", len(full.Matches), full.NewHits)
	}
	n := 0
	for _, h := range hitsA {
		if h.SubjectID == miguel.ID {
			n++
		}
		if h.SubjectID == smith.ID {
			t.Errorf("John Smith got a hit: %+v", h)
		}
	}
	if n != 1 {
		t.Errorf("Miguel Angel Rodriguez Orejuela has %d hits; want the one dismissed", n)
	}
	hitsB, err := svc.ListHits(ctx, tenantB, HitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hitsB) != 0 {
		t.Errorf("tenant B, which screens no OFAC list, got hits: %+v", hitsB)
	}

	// Every new hit is a screening.hit.created event of its tenant.
	var created int
	err = db.InTenantTx(ctx, dbtest.Pool(t), tenantA, func(q *db.Queries) error {
		evs, err := q.ListEventsAfter(ctx, db.ListEventsAfterParams{TenantID: tenantA, MaxRows: 1000})
		for _, e := range evs {
			if e.Type == "screening.hit.created" {
				created++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if created != len(hitsA) {
		t.Errorf("%d screening.hit.created events for %d hits", created, len(hitsA))
	}
}

// ofacFixture writes a small OFAC folder: the first n entries of the 2021
// sdn.csv with their alt.csv and add.csv lines.
func ofacFixture(t *testing.T, n int) string {
	t.Helper()
	src := dataPath(t, "ofac-2021")
	dir := t.TempDir()
	ids := map[string]bool{}
	copyLines(t, filepath.Join(src, "sdn.csv"), filepath.Join(dir, "sdn.csv"), func(i int, line string) bool {
		if i >= n {
			return false
		}
		id, _, _ := strings.Cut(line, ",")
		ids[id] = true
		return true
	})
	for _, f := range []string{"alt.csv", "add.csv", "sdn_comments.csv"} {
		copyLines(t, filepath.Join(src, f), filepath.Join(dir, f), func(_ int, line string) bool {
			id, _, _ := strings.Cut(line, ",")
			return ids[id]
		})
	}
	return dir
}

func copyLines(t *testing.T, from, to string, keep func(i int, line string) bool) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var b strings.Builder
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		if keep(i, sc.Text()) {
			b.WriteString(sc.Text())
			b.WriteString("\n")
		}
	}
	if err := os.WriteFile(to, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit rewrites a file of a fixture.
func edit(t *testing.T, path string, fn func(s string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(fn(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cutAt keeps the text up to the given 1-based line and then the first
// keep characters of that line.
func cutAt(s string, line, keep int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:line-1], "") + lines[line-1][:keep]
}

func TestMalformedListsAreRefused(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	tests := []struct {
		name   string
		format Format
		make   func(t *testing.T) string
		want   string // in the error: file and line
	}{
		{"CSV cut short inside a quoted field", FormatOFAC, func(t *testing.T) string {
			dir := ofacFixture(t, 300)
			edit(t, filepath.Join(dir, "sdn.csv"), func(s string) string { return cutAt(s, 200, 20) })
			return dir
		}, "sdn.csv line 200: a quoted field is not closed"},
		{"CSV cut short between fields", FormatOFAC, func(t *testing.T) string {
			dir := ofacFixture(t, 300)
			edit(t, filepath.Join(dir, "sdn.csv"), func(s string) string {
				line := strings.SplitAfter(s, "\n")[149]
				return cutAt(s, 150, strings.Index(line, "-0-")+4)
			})
			return dir
		}, "sdn.csv line 150: wrong number of fields: want 12, got"},
		{"alt.csv with a column missing", FormatOFAC, func(t *testing.T) string {
			dir := ofacFixture(t, 300)
			edit(t, filepath.Join(dir, "alt.csv"), func(s string) string {
				lines := strings.SplitAfter(s, "\n")
				lines[9] = strings.Replace(lines[9], `"aka",`, "", 1)
				return strings.Join(lines, "")
			})
			return dir
		}, "alt.csv line 10: wrong number of fields: want 5, got 4"},
		{"add.csv naming an entry sdn.csv lacks", FormatOFAC, func(t *testing.T) string {
			dir := ofacFixture(t, 300)
			edit(t, filepath.Join(dir, "add.csv"), func(s string) string { return s + "99999999,1,-0- ,-0- ,\"Cuba\",-0- \n" })
			return dir
		}, "is not in sdn.csv"},
		{"XML cut short", FormatUN, func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "consolidated.xml")
			b, err := os.ReadFile(dataPath(t, "un/consolidated.xml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "consolidated.xml line "},
		{"XML with a broken tag", FormatUN, func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "consolidated.xml")
			b, err := os.ReadFile(dataPath(t, "un/consolidated.xml"))
			if err != nil {
				t.Fatal(err)
			}
			s := strings.Replace(string(b), "<SECOND_NAME>BADEGE</SECOND_NAME>", "<SECOND_NAME>BADEGE</SECOND_NAM>", 1)
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "consolidated.xml line 8: broken XML"},
		{"JSON line cut short", FormatSenzing, func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "pep.jsonl")
			b, err := os.ReadFile(dataPath(t, "pep/us_congress_senzing.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			s := cutAt(string(b), 40, 100)
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, "pep.jsonl line 40: broken JSON"},
	}
	goodOFAC := ofacFixture(t, 300)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var good LoadResult
			switch tc.format {
			case FormatOFAC:
				good = mustLoad(t, svc, FormatOFAC, goodOFAC, LoadOptions{AllowShrink: true})
			case FormatUN:
				good = mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
			default:
				good = mustLoad(t, svc, FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"), LoadOptions{AllowShrink: true})
			}
			_, err := svc.Load(ctx, tc.format, tc.make(t), LoadOptions{AllowShrink: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want it to contain %q", err, tc.want)
			}
			var fe *FormatError
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Malformed || !errors.As(err, &fe) {
				t.Errorf("err = %#v; want a Malformed domain error around a FormatError", err)
			}
			versions, err := svc.Versions(ctx, good.Version.Source, 2)
			if err != nil {
				t.Fatal(err)
			}
			if versions[1].ID != good.Version.ID || versions[1].Status != "CURRENT" {
				t.Errorf("the good version is no longer current: %+v", versions[1])
			}
			if tc.format != FormatSenzing && (versions[0].Status != "FAILED" || !strings.Contains(versions[0].Error, tc.want)) {
				t.Errorf("the refused load is not recorded: %+v", versions[0])
			}
			ix, err := svc.index(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ix.Lists() {
				if l.Source == good.Version.Source && l.VersionID != good.Version.ID {
					t.Errorf("the index uses version %d, not the good one", l.Version)
				}
			}
		})
	}

	t.Run("a list cut to less than half is refused unless allowed", func(t *testing.T) {
		mustLoad(t, svc, FormatOFAC, ofacFixture(t, 400), LoadOptions{AllowShrink: true})
		_, err := svc.Load(ctx, FormatOFAC, ofacFixture(t, 150), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), "150 entries, the version in use 400") {
			t.Fatalf("err = %v", err)
		}
		if _, err := svc.Load(ctx, FormatOFAC, ofacFixture(t, 150), LoadOptions{AllowShrink: true}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSearchUsesTenantSettings(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
	mustLoad(t, svc, FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"), LoadOptions{AllowShrink: true})
	tn := newTenant(t)

	res, err := svc.Search(ctx, tn, Query{Name: "Jenifer McClelan", Type: Individual, DateOfBirth: "1972-05-01", Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) == 0 || res.Matches[0].EntryID != "NK-AQ4HymsADSK2D63MkyTqfC" || res.Matches[0].ListKind != KindPEP {
		t.Fatalf("matches = %+v", res.Matches)
	}
	m := res.Matches[0]
	if m.Status != StatusPossibleMatch && m.Status != StatusMatch || m.MatchedName != "Jennifer L. McClellan" || m.ListVersion == 0 {
		t.Errorf("match = %+v", m)
	}
	factors := map[string]float64{}
	for _, f := range m.Explanation.Factors {
		factors[f.Factor] = f.Contribution
	}
	if factors["dateOfBirth"] != dobConsistent || factors["country"] != countrySame || len(m.Explanation.Pairs) != 2 {
		t.Errorf("explanation = %+v", m.Explanation)
	}
	sources := func(refs []ListRef) []string {
		var out []string
		for _, r := range refs {
			out = append(out, r.Source)
		}
		return out
	}
	if got := sources(res.ListsChecked); !slices.Contains(got, "OS_US_CONGRESS") || !slices.Contains(got, "UN_CONSOLIDATED") {
		t.Errorf("lists checked = %v", got)
	}

	// A stricter tenant: the same name is now below its thresholds, and
	// without the PEP list it is not searched at all.
	high := 0.99
	if _, err := svc.UpdateSettings(ctx, tn, SettingsUpdate{MatchThreshold: &high, PossibleThreshold: &high}); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Search(ctx, tn, Query{Name: "Jenifer McClelan"})
	if err != nil || len(res.Matches) != 0 {
		t.Errorf("with thresholds 0.99: %v, %+v", err, res.Matches)
	}
	res, err = svc.Search(ctx, tn, Query{Name: "Jennifer L. McClellan"})
	if err != nil || len(res.Matches) != 1 || res.Matches[0].Status != StatusMatch {
		t.Errorf("exact name with thresholds 0.99: %v, %+v", err, res.Matches)
	}
	if _, err := svc.UpdateSettings(ctx, tn, SettingsUpdate{Sources: map[string]bool{"OS_US_CONGRESS": false}}); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Search(ctx, tn, Query{Name: "Jennifer L. McClellan"})
	if err != nil || len(res.Matches) != 0 || slices.Contains(sources(res.ListsChecked), "OS_US_CONGRESS") {
		t.Errorf("without the PEP list: %v, %+v, %v", err, res.Matches, sources(res.ListsChecked))
	}

	bad := []struct {
		name  string
		q     Query
		field string
	}{
		{"no name", Query{Name: "  "}, "name"},
		{"only punctuation", Query{Name: "--- ..."}, "name"},
		{"only initials", Query{Name: "J. K."}, "name"},
		{"unknown type", Query{Name: "Jane Doe", Type: "PLANET"}, "type"},
		{"bad date", Query{Name: "Jane Doe", DateOfBirth: "23/06/1953"}, "dateOfBirth"},
		{"impossible date", Query{Name: "Jane Doe", DateOfBirth: "1953-02-30"}, "dateOfBirth"},
		{"bad country", Query{Name: "Jane Doe", Country: "USA"}, "country"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Search(ctx, tn, tc.q)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Errorf("err = %v; want a validation error on %s", err, tc.field)
			}
		})
	}
	low, above := 0.5, 0.9
	_, err = svc.UpdateSettings(ctx, tn, SettingsUpdate{MatchThreshold: &low, PossibleThreshold: &above, Sources: map[string]bool{"NOPE": true}})
	if e, ok := apperr.As(err); !ok || len(e.Fields) != 2 {
		t.Errorf("bad settings: err = %v; want possibleThreshold and sources named", err)
	}
}

func TestDecideHit(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
	tn, other := newTenant(t), newTenant(t)
	sub := Subject{ID: uuid.New(), TenantID: tn, Name: "Eric Badege"}
	res, err := svc.ScreenSubject(ctx, sub)
	if err != nil || len(res.NewHits) != 1 {
		t.Fatalf("screen: %v, %+v", err, res.NewHits)
	}
	hit := res.NewHits[0]
	if hit.EntryID != "6907993" || hit.Status != HitOpen || hit.Explanation.MatchedName == "" {
		t.Fatalf("hit = %+v", hit)
	}
	again, err := svc.ScreenSubject(ctx, sub)
	if err != nil || len(again.NewHits) != 0 || len(again.Matches) != 1 {
		t.Errorf("screening twice: %v, new hits %+v", err, again.NewHits)
	}

	tests := []struct {
		name   string
		tenant uuid.UUID
		d      Decision
		code   apperr.Code
	}{
		{"no note", tn, Decision{Status: HitConfirmed}, apperr.Invalid},
		{"no such status", tn, Decision{Status: "MAYBE", Note: "x"}, apperr.Invalid},
		{"another tenant's hit", other, Decision{Status: HitConfirmed, Note: "x"}, apperr.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.DecideHit(ctx, tc.tenant, hit.ID, tc.d)
			if got := apperr.CodeOf(err); got != tc.code {
				t.Errorf("err = %v; want %s", err, tc.code)
			}
		})
	}
	got, err := svc.DecideHit(ctx, tn, hit.ID, Decision{Status: HitConfirmed, Note: " same person: DOB and nationality agree "})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != HitConfirmed || got.Note != "same person: DOB and nationality agree" || got.DecidedBy != "Platform Operator (op-1)" || got.DecidedAt == nil {
		t.Errorf("decided hit = %+v", got)
	}
	if _, err := svc.DecideHit(ctx, tn, hit.ID, Decision{Status: HitDismissed, Note: "changed my mind"}); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("deciding twice: err = %v; want conflict", err)
	}
	var records []string
	err = db.InTenantTx(ctx, dbtest.Pool(t), tn, func(q *db.Queries) error {
		rows, err := q.ListAudit(ctx, db.ListAuditParams{TenantID: tn, EntityID: hit.ID.String(), MaxRows: 10})
		for _, r := range rows {
			records = append(records, fmt.Sprintf("%s by %s", r.Action, r.ActorName))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"screening.hit.confirmed by Platform Operator", "screening.hit.created by Platform Operator"}
	if !slices.Equal(records, want) {
		t.Errorf("audit = %v; want %v", records, want)
	}
}

// TestSearchWhileLoading searches on while a new version loads: searches
// keep using the index they started with, and the new one replaces it
// whole.
func TestSearchWhileLoading(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	tn := newTenant(t)
	mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := svc.Search(ctx, tn, Query{Name: "Eric Badege", Type: Individual})
				if err != nil || len(res.Matches) == 0 {
					t.Errorf("search during a load: %v, %d matches", err, len(res.Matches))
					return
				}
			}
		})
	}
	second := mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{})
	close(stop)
	wg.Wait()
	res, err := svc.Search(ctx, tn, Query{Name: "Eric Badege", Type: Individual})
	if err != nil || len(res.Matches) == 0 || res.Matches[0].ListVersion != second.Version.Seq {
		t.Errorf("after the load: %v, %+v; want a match from version %d", err, res.Matches, second.Version.Seq)
	}
	if len(second.Diff.Added)+len(second.Diff.Removed)+len(second.Diff.Changed) != 0 {
		t.Errorf("loading the same file again changed %+v", second.Diff)
	}
}
