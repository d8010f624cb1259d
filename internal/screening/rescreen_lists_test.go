package screening

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
)

// ofacUpdate makes OFAC 2021 the update of 2019 in this database, whatever
// other tests loaded before (2019 first: a no-op when it is current, a
// shrink otherwise), with the UN list loaded beside it, and returns the
// update's result.
func ofacUpdate(t *testing.T, svc *Service) LoadResult {
	t.Helper()
	mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
	mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2019"), LoadOptions{AllowShrink: true})
	up := mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2021"), LoadOptions{AllowShrink: true})
	if len(up.Diff.Added) != 1858 {
		t.Fatalf("the 2019 → 2021 update added %d entries; want 1858", len(up.Diff.Added))
	}
	return up
}

// changedEntries are the entries a version added or changed, by id.
func changedEntries(t *testing.T, svc *Service, up LoadResult) map[string]Entry {
	t.Helper()
	ids := map[string]bool{}
	for _, kind := range []string{"ADDED", "CHANGED"} {
		cs, err := svc.Changes(operatorCtx(t), up.Version.ID, kind, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			ids[c.EntryID] = true
		}
	}
	p, err := Parse(FormatOFAC, dataPath(t, "ofac-2021"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Entry{}
	for _, e := range p.Entries {
		if ids[e.ID] {
			out[e.ID] = e
		}
	}
	return out
}

// heldEntries are the entries (source/id) a subject's hits stand for.
func heldEntries(t *testing.T, svc *Service, tenant, subject uuid.UUID) (map[string]bool, []Hit) {
	t.Helper()
	hits, err := svc.ListHits(operatorCtx(t), tenant, HitFilter{SubjectID: &subject, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, h := range hits {
		for _, src := range h.Sources {
			out[src.Source+"/"+src.EntryID] = true
		}
	}
	return out, hits
}

// The re-screening after a list update screens every customer against the
// changed entries only, and the whole lists only for those they match. It
// must miss nothing a screening of every customer against the whole lists
// finds on a changed entry: compared here on the real 2019 → 2021 OFAC
// update with the UN list beside it, for customers named after the entries
// the update added or changed (as written, in another order, in lower case,
// with a date of birth) among thousands of others.
func TestRescreenFindsWhatAFullScreeningFinds(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	up := ofacUpdate(t, svc)
	changed := changedEntries(t, svc, up)
	tn := newTenant(t)
	rng := rand.New(rand.NewPCG(16, 42))
	var subjects fakeSubjects
	ids := make([]string, 0, len(changed))
	for id := range changed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i, id := range ids {
		if i%3 != 0 { // a third of them, each in several forms
			continue
		}
		e := changed[id]
		words := strings.Fields(strings.NewReplacer(",", " ").Replace(e.Name))
		slices.Reverse(words)
		forms := []Subject{{Name: e.Name}, {Name: strings.Join(words, " ")}, {Name: strings.ToLower(e.Name)}}
		if len(e.DatesOfBirth) > 0 && isoDate.MatchString(e.DatesOfBirth[0]) {
			forms = append(forms, Subject{Name: e.Name, DateOfBirth: e.DatesOfBirth[0]})
		}
		if e.Type != Individual {
			for i := range forms {
				forms[i].Type = e.Type
			}
		}
		for _, f := range forms {
			f.ID, f.TenantID = uuid.New(), tn
			subjects = append(subjects, f)
		}
	}
	for range 5000 {
		subjects = append(subjects, Subject{ID: uuid.New(), TenantID: tn, Name: syntheticName(rng), DateOfBirth: syntheticDOB(rng)})
	}
	res, err := svc.Rescreen(ctx, up.Version.ID, subjects)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects != len(subjects) || res.NewHits == 0 {
		t.Fatalf("re-screened %d of %d subjects, %d new hits", res.Subjects, len(subjects), res.NewHits)
	}
	missed, expected := 0, 0
	for _, sub := range subjects {
		full, err := svc.search(ctx, tn, sub.query(), false)
		if err != nil {
			t.Fatal(err)
		}
		held, _ := heldEntries(t, svc, tn, sub.ID)
		for _, m := range full.Matches {
			for _, src := range m.Sources {
				if src.Source != "OFAC_SDN" || changed[src.EntryID].ID == "" {
					continue
				}
				expected++
				if !held[src.Source+"/"+src.EntryID] {
					missed++
					if missed <= 10 {
						t.Errorf("%q: a full screening matches changed entry %s (%s, %.3f); the re-screening made no hit on it", sub.Name, src.EntryID, src.Name, src.Score)
					}
				}
			}
		}
	}
	if expected < 1000 {
		t.Fatalf("only %d matches on changed entries to compare; the data set is too thin", expected)
	}
	if missed > 0 {
		t.Errorf("the re-screening missed %d of %d matches a full screening makes", missed, expected)
	}
	t.Logf("%d subjects, %d matches on changed entries by a full screening, all among the re-screening's %d hits", len(subjects), expected, res.NewHits)
}

// Entity resolution makes one hit of a person on several lists. A customer
// screened when only the UN listed Jimmy Cherizier has a hit on the UN
// entry; when OFAC adds him (the same passport number joins the entries),
// the re-screening adds no second hit for him, and a customer with no hit
// yet gets one that stands for both entries.
func TestRescreenAddsNoSecondHitForAGroupedPerson(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	mustLoad(t, svc, FormatUN, dataPath(t, "un/consolidated.xml"), LoadOptions{AllowShrink: true})
	mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2019"), LoadOptions{AllowShrink: true})
	tn := newTenant(t)
	early := Subject{ID: uuid.New(), TenantID: tn, Name: "Jimmy Cherizier"}
	first, err := svc.ScreenSubject(ctx, early)
	if err != nil || len(first.NewHits) != 1 || first.NewHits[0].Source != "UN_CONSOLIDATED" {
		t.Fatalf("screening under OFAC 2019: %v, %+v; want one hit on the UN entry", err, first.NewHits)
	}
	confirmed := Subject{ID: uuid.New(), TenantID: tn, Name: "CHERIZIER, Jimmy"}
	c, err := svc.ScreenSubject(ctx, confirmed)
	if err != nil || len(c.NewHits) != 1 {
		t.Fatalf("second customer: %v, %+v", err, c.NewHits)
	}
	if _, err := svc.DecideHit(ctx, tn, c.NewHits[0].ID, Decision{Status: HitConfirmed, Note: "the same man: passport checked"}); err != nil {
		t.Fatal(err)
	}
	late := Subject{ID: uuid.New(), TenantID: tn, Name: "Jimmy Cherizier"}

	up := mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2021"), LoadOptions{AllowShrink: true})
	if _, err := svc.Rescreen(ctx, up.Version.ID, fakeSubjects{early, confirmed, late}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []Subject{early, confirmed} {
		if _, hits := heldEntries(t, svc, tn, sub.ID); len(hits) != 1 {
			t.Errorf("%s: %d hits after OFAC listed the same person; want still the one", sub.Name, len(hits))
		}
	}
	held, hits := heldEntries(t, svc, tn, late.ID)
	if len(hits) != 1 || !held["OFAC_SDN/30582"] || !held["UN_CONSOLIDATED/6908911"] {
		t.Errorf("a customer first screened now: %d hits standing for %v; want one for both entries", len(hits), held)
	}
	// Screening the first customer again (a profile change) adds nothing.
	again, err := svc.ScreenSubject(ctx, early)
	if err != nil || len(again.NewHits) != 0 {
		t.Errorf("screening again: %v, new hits %+v", err, again.NewHits)
	}
}

// holdingSubjects is a customer base that can also say who holds an
// identifier, as the KYC documents do.
type holdingSubjects struct {
	fakeSubjects
	asked [][]Identifier
}

func (h *holdingSubjects) Holding(_ context.Context, ids []Identifier) ([]Subject, error) {
	h.asked = append(h.asked, ids)
	var out []Subject
	for _, sub := range h.fakeSubjects {
		if slices.ContainsFunc(sub.Identifiers, func(x Identifier) bool {
			return slices.ContainsFunc(ids, func(y Identifier) bool {
				return x.Kind == y.Kind && NormaliseIdentifier(x.Kind, x.Value) == y.Value
			})
		}) {
			out = append(out, sub)
		}
	}
	return out, nil
}

// After a list update, a customer whose passport number an added entry
// carries gets a MATCH on it though their name is another; the
// re-screening asks for the holders of the update's identifiers and screens
// each once.
func TestRescreenMatchesDocumentNumbers(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	up := ofacUpdate(t, svc)
	changed := changedEntries(t, svc, up)
	var listed []Entry
	for _, e := range changed {
		if e.Type == Individual && slices.ContainsFunc(e.Identifiers, func(x Identifier) bool { return x.Kind == PassportNumber && len(x.Value) >= 6 }) {
			listed = append(listed, e)
		}
	}
	slices.SortFunc(listed, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	if len(listed) < 3 {
		t.Fatalf("the update added %d individuals with passport numbers; want some to test with", len(listed))
	}
	listed = listed[:3]
	tn := newTenant(t)
	base := &holdingSubjects{}
	for i, e := range listed {
		var pass Identifier
		for _, x := range e.Identifiers {
			if x.Kind == PassportNumber {
				pass = x
				break
			}
		}
		base.fakeSubjects = append(base.fakeSubjects, Subject{ID: uuid.New(), TenantID: tn, Name: []string{"Ada Lovelace", "Grace Hopper", "Mary Somerville"}[i],
			Identifiers: []Identifier{{Kind: PassportNumber, Value: strings.ToLower(" " + pass.Value + " "), Country: pass.Country}}})
	}
	base.fakeSubjects = append(base.fakeSubjects, Subject{ID: uuid.New(), TenantID: tn, Name: "Ada Lovelace",
		Identifiers: []Identifier{{Kind: PassportNumber, Value: "ZZ0000001"}}})
	res, err := svc.Rescreen(ctx, up.Version.ID, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.asked) != 1 || res.Subjects != len(base.fakeSubjects) {
		t.Fatalf("asked for holders %d times, re-screened %d of %d", len(base.asked), res.Subjects, len(base.fakeSubjects))
	}
	for i, e := range listed {
		sub := base.fakeSubjects[i]
		_, hits := heldEntries(t, svc, tn, sub.ID)
		if len(hits) != 1 || hits[0].EntryID != e.ID || hits[0].MatchStatus != StatusMatch ||
			!slices.ContainsFunc(hits[0].Explanation.Factors, func(f Factor) bool { return f.Factor == "identifier" }) {
			t.Errorf("%s holding the passport of %s (%s): hits %+v; want one MATCH on it explained by the identifier", sub.Name, e.Name, e.ID, hits)
		}
	}
	if _, hits := heldEntries(t, svc, tn, base.fakeSubjects[3].ID); len(hits) != 0 {
		t.Errorf("a customer with an unlisted passport got hits %+v", hits)
	}
}

// Several lists and several tenants in one database, as in production and
// as when other tests have loaded theirs: each tenant's customers named
// after entries the update added get their hit, in every tenant that
// screens against the list and in none that does not, whatever the other
// lists and tenants hold. (This passed before the re-screening was
// rebuilt, too: what made no hit in a shared database was a list loaded
// again unchanged, shown at the end.)
func TestRescreenWithSeveralListsAndTenants(t *testing.T) {
	ctx := operatorCtx(t)
	svc := NewService(dbtest.Pool(t))
	mustLoad(t, svc, FormatSenzing, dataPath(t, "pep/us_congress_senzing.jsonl"), LoadOptions{AllowShrink: true})
	up := ofacUpdate(t, svc)
	changed := changedEntries(t, svc, up)
	var names []string
	for _, e := range changed {
		if e.Type == Individual && len(strings.Fields(e.Name)) >= 3 {
			names = append(names, e.Name)
		}
	}
	slices.Sort(names)
	names = names[:20]
	a, b, off := newTenant(t), newTenant(t), newTenant(t)
	disabled := map[string]bool{"OFAC_SDN": false}
	if _, err := svc.UpdateSettings(ctx, off, SettingsUpdate{Sources: disabled}); err != nil {
		t.Fatal(err)
	}
	var subjects fakeSubjects
	for _, tn := range []uuid.UUID{a, b, off} {
		for _, n := range names {
			subjects = append(subjects, Subject{ID: uuid.New(), TenantID: tn, Name: n})
		}
	}
	res, err := svc.Rescreen(ctx, up.Version.ID, subjects)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subjects {
		_, hits := heldEntries(t, svc, sub.TenantID, sub.ID)
		onOFAC := slices.ContainsFunc(hits, func(h Hit) bool { return h.Source == "OFAC_SDN" })
		if want := sub.TenantID != off; onOFAC != want {
			t.Errorf("tenant %s, %q: a hit on OFAC %v; want %v (hits %d)", sub.TenantID, sub.Name, onOFAC, want, len(hits))
		}
	}
	if res.NewHits < 2*len(names) {
		t.Errorf("new hits %d; want at least %d", res.NewHits, 2*len(names))
	}
	// Run again (a retried job): nothing is added.
	again, err := svc.Rescreen(ctx, up.Version.ID, subjects)
	if err != nil || again.NewHits != 0 {
		t.Errorf("re-running the re-screening: %v, %d new hits; want none", err, again.NewHits)
	}

	// What a test meets when another test loaded the same list before it:
	// the lists are the platform's, not a tenant's, so loading the file
	// that is already current makes a version that changes nothing, and
	// its re-screening screens against nothing. A customer made since is
	// found by their own screening, not by that re-screening.
	same := mustLoad(t, svc, FormatOFAC, dataPath(t, "ofac-2021"), LoadOptions{})
	newcomer := Subject{ID: uuid.New(), TenantID: a, Name: names[0]}
	nothing, err := svc.Rescreen(ctx, same.Version.ID, fakeSubjects{newcomer})
	if err != nil || nothing.Entries != 0 || nothing.NewHits != 0 {
		t.Errorf("re-screening after loading the current file again: %v, %+v; want no entries to screen against", err, nothing)
	}
	own, err := svc.ScreenSubject(ctx, newcomer)
	if err != nil || !slices.ContainsFunc(own.NewHits, func(h Hit) bool { return h.Source == "OFAC_SDN" }) {
		t.Errorf("the newcomer's own screening: %v, %+v; want a hit on OFAC", err, own.NewHits)
	}
}
