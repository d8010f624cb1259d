package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// POST /screening/search with identifiers, on the real lists: a national
// id the list has makes a MATCH and says so; the same person on OFAC and
// the UN list is one match with both sources; bad identifiers are 422
// naming the field.
func TestScreeningSearchAPIIdentifiers(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	spec := h.newSpecValidator()
	tok := h.adminToken(h.tenant, credential.ScopeScreening)
	path := api.Prefix + "/screening/search"

	body := `{"name":"Jimmy Joseph Cherizier","type":"INDIVIDUAL","identifiers":[{"kind":"national_id","value":"0018-4398-97","country":"HT"}]}`
	resp, out := h.apiCall("POST", path, h.tenant.Slug, tok, body, nil)
	raw, _ := json.Marshal(out)
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, raw)
	}
	spec.check(t, "POST", path, resp.StatusCode, raw)
	matches := out["data"].(map[string]any)["matches"].([]any)
	if len(matches) == 0 {
		t.Fatalf("no match: %s", raw)
	}
	best := matches[0].(map[string]any)
	if best["status"] != "MATCH" {
		t.Errorf("best = %v; want a MATCH", best)
	}
	var factor string
	for _, f := range best["explanation"].(map[string]any)["factors"].([]any) {
		if f := f.(map[string]any); f["factor"] == "identifier" {
			factor = f["detail"].(string)
		}
	}
	if !strings.Contains(factor, "national id 0018439897 (HT)") {
		t.Errorf("identifier factor %q", factor)
	}
	var srcs []string
	for _, s := range best["sources"].([]any) {
		s := s.(map[string]any)
		srcs = append(srcs, s["source"].(string)+" "+s["entryId"].(string))
	}
	if strings.Join(srcs, ",") != "OFAC_SDN 30582,UN_CONSOLIDATED 6908911" && strings.Join(srcs, ",") != "UN_CONSOLIDATED 6908911,OFAC_SDN 30582" {
		t.Errorf("sources = %v; want OFAC 30582 and UN 6908911 as one match", srcs)
	}
	for _, m := range matches[1:] {
		if id := m.(map[string]any)["entryId"]; id == "30582" || id == "6908911" {
			t.Errorf("entry %v is also a match of its own", id)
		}
	}

	for _, tc := range []struct {
		name, ids, field string
	}{
		{"an unknown kind", `[{"kind":"DRIVING_LICENCE","value":"X1"}]`, "identifiers[0].kind"},
		{"no value", `[{"kind":"PASSPORT","value":"  "}]`, "identifiers[0].value"},
		{"only punctuation", `[{"kind":"PASSPORT","value":"--"}]`, "identifiers[0].value"},
		{"too long", `[{"kind":"IBAN","value":"` + strings.Repeat("1", 101) + `"}]`, "identifiers[0].value"},
		{"an unknown country", `[{"kind":"PASSPORT","value":"X1"},{"kind":"PASSPORT","value":"X2","country":"XX"}]`, "identifiers[1].country"},
		{"too many", `[` + strings.TrimSuffix(strings.Repeat(`{"kind":"BIC","value":"HAVIGB2L"},`, 21), ",") + `]`, "identifiers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			resp, out := h.apiCall("POST", path, h.tenant.Slug, tok, `{"name":"John Doe","identifiers":`+tc.ids+`}`, nil)
			if resp.StatusCode != 422 || errCode(out) != "VALIDATION_FAILED" {
				t.Fatalf("%d %v; want 422", resp.StatusCode, out)
			}
			if d := details(out); len(d) == 0 || !strings.HasPrefix(d[0], tc.field+":") {
				t.Errorf("details %v; want one on %s", d, tc.field)
			}
		})
	}
}

// A customer on OFAC and the UN list gets one hit with both sources, which
// the hit's page shows; the hit keeps them when read again.
func TestScreeningHitCarriesAllSources(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	// Jimmy Cherizier: OFAC 30582 and UN 6908911, the same national id and
	// date of birth.
	_, res := h.screened("Jimmy", "", "Cherizier", "1977-03-30", "HT")
	var hits []string
	for _, x := range res.NewHits {
		if x.EntryID == "30582" || x.EntryID == "6908911" {
			hits = append(hits, x.ID.String())
		}
	}
	if len(hits) != 1 {
		t.Fatalf("hits on his two entries: %v; want one for both", res.NewHits)
	}
	_, analyst := h.signIn(staff.Analyst)
	hit, err := h.s.Screening.GetHit(h.t.Context(), h.tenant.ID, uuid.MustParse(hits[0]))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range hit.Sources {
		got = append(got, s.Source+" "+s.EntryID)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "OFAC_SDN 30582,UN_CONSOLIDATED 6908911" {
		t.Fatalf("stored sources %v", got)
	}
	other := "UN_CONSOLIDATED entry 6908911: JIMMY CHERIZIER"
	if hit.Source == "UN_CONSOLIDATED" {
		other = "OFAC_SDN entry 30582: CHERIZIER, Jimmy"
	}
	d := doc(t, h.get("/screening/hits/"+hits[0], analyst))
	if also := text(d, `[data-testid="entry-also-on"]`); also != other {
		t.Errorf("also listed %q; want %q", also, other)
	}
}

// KYC screens the customer with the passport number the server read from
// the document: Jimmy Joseph Cherizier is only like OFAC's "CHERIZIER,
// Jimmy" by name, but the passport PP3227493 of Haiti is his, so the
// sanctions check is a MATCH and the hit says why.
func TestKYCScreeningWithThePassportNumberRead(t *testing.T) {
	h := newHarness(t)
	h.loadLists()
	dt := h.demoTenant()
	h.startJobs()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	cust, vr := h.onboarded(dt, tok, func(m map[string]any) {
		noCategory(m)
		m["firstName"], m["lastName"] = "Jimmy", "Cherizier"
		ic(m)["middleName"], ic(m)["dateOfBirth"], ic(m)["nationality"] = "Joseph", "1977-03-30", "HT"
	})
	p := exampleHolder()
	p.Given, p.Middle, p.Surname, p.Nationality, p.DocumentNumber = "JIMMY", "JOSEPH", "CHERIZIER", "HTI", "PP3227493"
	p.DateOfBirth = time.Date(1977, 3, 30, 0, 0, 0, 0, time.UTC)
	if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passportOf(t, p, nil)), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	// The demo tenant asks a Haitian customer for a proof of address and a
	// selfie too: the verification waits for them, its checks done.
	st := h.waitStatus(dt, tok, vr, "DOCUMENTS_RECEIVED")
	san := st["checks"].(map[string]any)["sanctions"].(map[string]any)
	if san["status"] != "MATCH" {
		t.Errorf("sanctions %v; want MATCH", san)
	}
	id := uuid.MustParse(cust)
	hits, err := h.s.Screening.ListHits(t.Context(), dt.ID, screening.HitFilter{SubjectID: &id})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, x := range hits {
		for _, f := range x.Explanation.Factors {
			if f.Factor == "identifier" && strings.Contains(f.Detail, "passport PP3227493 (HT)") && x.MatchStatus == screening.StatusMatch {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no MATCH hit by the passport number: %+v", hits)
	}
}

// After a list update, the re-screening finds a customer by the passport
// number they gave, though their name is not the entry's: the real OFAC
// entry of Jasmeet Hakimzada (passport Z2030393, India) arrives in a list
// of this test's own, and the customer registered as Ada Okafor who gave
// that number as a virtual document gets a MATCH explained by it. The
// subjects are the server's own (the KYC documents over the customers).
func TestRescreenFindsAListedPassportNumber(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeCustomersRead, credential.ScopeVerificationWrite)
	cust, vr := h.onboarded(dt, tok, func(m map[string]any) {
		noCategory(m)
		m["firstName"], m["lastName"] = "Ada", "Okafor"
	})
	if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, virtualDoc("PASSPORT_NUMBER", "z2030393", "IN")), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	ofac, err := screening.Parse(screening.FormatOFAC, screeningtest.Path(t, "ofac-2021"))
	if err != nil {
		t.Fatal(err)
	}
	var listed, other screening.Entry
	for _, e := range ofac.Entries {
		switch e.ID {
		case "21845":
			listed = e
		case "15718":
			other = e
		}
	}
	if listed.ID == "" || other.ID == "" {
		t.Fatal("OFAC 2021 lacks the entries this test uses")
	}
	src := screening.Source{ID: "TEST_DOCS_" + strings.ToUpper(uuid.NewString()[:8]), Name: "Passport test list", Kind: screening.KindSanctions,
		Format: screening.FormatOFAC}
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	// The lists are platform data the package's tests share: this one
	// leaves use when the test ends, so that other tests see only theirs.
	t.Cleanup(func() {
		cctx := context.WithoutCancel(h.t.Context())
		if _, err := dbtest.OwnerPool(t).Exec(cctx, `UPDATE screening_list_versions SET status = 'SUPERSEDED' WHERE source_id = $1 AND status = 'CURRENT'`, src.ID); err != nil {
			t.Error(err)
		}
		if _, err := h.s.Screening.Refresh(cctx); err != nil {
			t.Error(err)
		}
	})
	if _, err := h.s.Screening.LoadParsed(ctx, screening.Parsed{Source: src, Entries: []screening.Entry{other}, FileName: "v1"}, screening.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	up, err := h.s.Screening.LoadParsed(ctx, screening.Parsed{Source: src, Entries: []screening.Entry{other, listed}, FileName: "v2"}, screening.LoadOptions{})
	if err != nil || len(up.Diff.Added) != 1 {
		t.Fatalf("update: %v, %+v", err, up.Diff)
	}
	if _, err := h.s.Screening.Rescreen(ctx, up.Version.ID, h.s.KYC.ScreeningSubjects(h.s.Customers.ScreeningSubjects())); err != nil {
		t.Fatal(err)
	}
	id := uuid.MustParse(cust)
	hits, err := h.s.Screening.ListHits(t.Context(), dt.ID, screening.HitFilter{SubjectID: &id})
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(hits, func(x screening.Hit) bool {
		// The OFAC list of the package's other tests has him too: one
		// hit stands for both entries.
		return slices.ContainsFunc(x.Sources, func(ms screening.MatchSource) bool { return ms.Source == src.ID && ms.EntryID == "21845" }) &&
			x.MatchStatus == screening.StatusMatch &&
			slices.ContainsFunc(x.Explanation.Factors, func(f screening.Factor) bool {
				return f.Factor == "identifier" && strings.Contains(f.Detail, "passport Z2030393")
			})
	})
	if !found {
		t.Errorf("no MATCH by the passport number after the update: %+v", hits)
	}
}

// The holders of a listed document number are found by screening digest,
// opening only their documents. Three customers give documents: one a
// rendered passport the server reads (the number looked for), one another
// passport, one a virtual document. The first lookup digests every
// read document and virtual document of the tenant. A changed evidence
// loses its digest (the trigger), so the next lookup opens it again: with
// the other passport's evidence made unreadable the lookup fails. Given
// its digest back, the unreadable evidence is not opened, and the holder
// is still found, with the number read, by a differently written number.
func TestIdentifierHoldersFoundByDigest(t *testing.T) {
	h := newHarness(t)
	dt := h.demoTenant()
	tok := h.adminToken(dt, credential.ScopeCustomersWrite, credential.ScopeVerificationWrite)
	owner := dbtest.OwnerPool(t)
	passportHolder := func(number string) (uuid.UUID, uuid.UUID) {
		t.Helper()
		p := exampleHolder()
		p.DocumentNumber = number
		cust, vr := h.onboarded(dt, tok, func(m map[string]any) { noCategory(m) })
		if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, uploadBody(vr, passportOf(t, p, nil)), nil); resp.StatusCode != 200 {
			t.Fatalf("upload: %d %v", resp.StatusCode, out)
		}
		var doc uuid.UUID
		waitUntil(t, "the passport is read", func() bool {
			err := owner.QueryRow(t.Context(), `SELECT id FROM documents WHERE customer_id = $1 AND type = 'IDENTITY_DOCUMENT' AND evidence IS NOT NULL`,
				cust).Scan(&doc)
			return err == nil
		})
		return uuid.MustParse(cust), doc
	}
	// Numbers of this test's own: other tests' customers hold listed ones.
	number, other := fmt.Sprintf("Q%08d", rand.IntN(100_000_000)), fmt.Sprintf("X%08d", rand.IntN(100_000_000))
	listed, _ := passportHolder(number)
	_, otherDoc := passportHolder(other)
	cust, vr := h.onboarded(dt, tok, func(m map[string]any) { noCategory(m) })
	if resp, out := h.apiCall("POST", uploadPath, dt.Slug, tok, valueUpload(vr, virtualDoc("PASSPORT_NUMBER", fmt.Sprintf("Y%07d", rand.IntN(10_000_000)), "IN")), nil); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, out)
	}
	holders := h.s.KYC.ScreeningSubjects(h.s.Customers.ScreeningSubjects()).(screening.IdentifiedSubjects)
	holding := func(value string) ([]screening.Subject, error) {
		var out []screening.Subject
		all, err := holders.Holding(t.Context(), []screening.Identifier{{Kind: screening.PassportNumber, Value: value, Country: "GB"}})
		for _, s := range all {
			if s.TenantID == dt.ID {
				out = append(out, s)
			}
		}
		return out, err
	}
	got, err := holding(strings.ToLower(number[:4] + " " + number[4:]))
	if err != nil || len(got) != 1 || got[0].ID != listed ||
		!slices.ContainsFunc(got[0].Identifiers, func(id screening.Identifier) bool { return id.Value == number }) {
		t.Fatalf("holders of %s: %v, %+v; want the customer whose passport was read", number, err, got)
	}
	var undigested, virtualDigested int
	if err := owner.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM documents WHERE tenant_id = $1 AND type = 'IDENTITY_DOCUMENT' AND evidence IS NOT NULL AND screening_digest IS NULL)
		+ (SELECT count(*) FROM virtual_documents WHERE tenant_id = $1 AND kind = 'VIRTUAL_DOCUMENT' AND screening_digest IS NULL),
		(SELECT count(*) FROM virtual_documents WHERE customer_id = $2 AND length(screening_digest) > 8)`, dt.ID, cust).Scan(&undigested, &virtualDigested); err != nil {
		t.Fatal(err)
	}
	if undigested != 0 || virtualDigested != 1 {
		t.Fatalf("%d rows left undigested, %d digest for the virtual passport number; want none and one", undigested, virtualDigested)
	}

	// The other passport's evidence becomes unreadable: its digest goes
	// with the change, and the next lookup, opening it, fails.
	var sealed, digest []byte
	if err := owner.QueryRow(t.Context(), `SELECT evidence, screening_digest FROM documents WHERE id = $1`, otherDoc).Scan(&sealed, &digest); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := owner.Exec(context.WithoutCancel(t.Context()), `UPDATE documents SET evidence = $2 WHERE id = $1`, otherDoc, sealed); err != nil {
			t.Error(err)
		}
	})
	var after []byte
	if err := owner.QueryRow(t.Context(), `UPDATE documents SET evidence = 'unreadable'::bytea WHERE id = $1 RETURNING screening_digest`, otherDoc).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != nil || len(digest) == 0 {
		t.Fatalf("digest %x before, %x after the evidence changed; want one, then none", digest, after)
	}
	if _, err := holding(number); err == nil {
		t.Fatal("a changed evidence was not opened again")
	}
	// Given back its digest, the unreadable evidence is left closed.
	if _, err := owner.Exec(t.Context(), `UPDATE documents SET screening_digest = $2 WHERE id = $1`, otherDoc, digest); err != nil {
		t.Fatal(err)
	}
	if got, err := holding(number[:3] + "-" + number[3:]); err != nil || len(got) != 1 || got[0].ID != listed {
		t.Fatalf("holders with another document unreadable: %v, %+v; want only the listed holder's documents opened", err, got)
	}
	// Its digest is of its own number: asking for that one opens it.
	if _, err := holding(strings.ToLower(other)); err == nil {
		t.Fatal("asking for the other passport's number did not open its document")
	}
}
