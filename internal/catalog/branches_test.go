package catalog

import (
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Landmarks of London, with their coordinates.
var london = []struct {
	code, name, typ, lat, lon string
}{
	{"TRAFALGAR", "Trafalgar Square", TypePayPoint, "51.50809", "-0.12799"},
	{"ST_PAULS", "St Paul's Cathedral", TypeBranch, "51.51383", "-0.09837"},
	{"TOWER", "Tower of London", TypePayPoint, "51.50811", "-0.07595"},
	{"BIG_BEN", "Big Ben", TypeAgent, "51.50073", "-0.12463"},
	{"GREENWICH", "Royal Observatory", TypePayPoint, "51.47687", "-0.00053"},
	{"KEW", "Kew Gardens", TypeBranch, "51.47871", "-0.29557"},
}

func (f *fixture) addLondon(t testing.TB) {
	t.Helper()
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	for _, l := range london {
		if _, err := f.svc.CreateBranch(ctx, f.tenant, BranchInput{Code: l.code, Name: l.name, Type: l.typ, City: "London", Country: "GB",
			Latitude: l.lat, Longitude: l.lon, Active: true, Services: "cash_out, CASH_IN",
			Hours: map[string]string{"MON": "09:00-17:00"}}); err != nil {
			t.Fatal(err)
		}
	}
}

func codes(bs []Branch) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Code)
	}
	return out
}

func TestNearestBranchesInLondon(t *testing.T) {
	f := newFixture(t)
	f.addLondon(t)
	ctx := t.Context()
	// From the London Eye.
	got, err := f.svc.NearestBranches(ctx, f.tenant, NearQuery{Near: "51.5033,-0.1196"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"BIG_BEN", "TRAFALGAR", "ST_PAULS", "TOWER", "GREENWICH", "KEW"}
	if !slices.Equal(codes(got), want) {
		t.Fatalf("order = %v; want %v", codes(got), want)
	}
	for i, b := range got {
		if d := HaversineKm(51.5033, -0.1196, *b.Latitude, *b.Longitude); math.Abs(d-b.DistanceKm) > 1e-6 {
			t.Errorf("%s: SQL %f km, Go %f km", b.Code, b.DistanceKm, d)
		}
		if i > 0 && b.DistanceKm < got[i-1].DistanceKm {
			t.Errorf("not nearest first at %d", i)
		}
	}
	if d := got[0].DistanceKm; d < 0.3 || d > 0.5 {
		t.Errorf("London Eye to Big Ben = %f km; want about 0.4", d)
	}
	got, _ = f.svc.NearestBranches(ctx, f.tenant, NearQuery{Near: "51.5033,-0.1196", Type: "pay_point", Limit: "2"})
	if !slices.Equal(codes(got), []string{"TRAFALGAR", "TOWER"}) {
		t.Errorf("pay points = %v", codes(got))
	}
	// From Paris, 340 km away, the widening search still finds them.
	got, _ = f.svc.NearestBranches(ctx, f.tenant, NearQuery{Near: "48.8584,2.2945", Limit: "1"})
	if !slices.Equal(codes(got), []string{"GREENWICH"}) || got[0].DistanceKm < 300 {
		t.Errorf("from Paris = %v", codes(got))
	}
	got, _ = f.svc.NearestBranches(ctx, f.tenant, NearQuery{Near: "48.8584,2.2945", RadiusKm: "100"})
	if len(got) != 0 {
		t.Errorf("within 100 km of Paris = %v", codes(got))
	}
	// An inactive branch is not offered.
	page, _ := f.svc.Branches(ctx, f.tenant, BranchFilter{Query: "big"})
	actx := actor.With(ctx, actor.Actor{Kind: actor.System, Name: "test"})
	if _, err := f.svc.SetBranchStatus(actx, f.tenant, page.Rows[0].ID, BranchInactive); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.NearestBranches(ctx, f.tenant, NearQuery{Near: "51.5033,-0.1196", Limit: "1"})
	if !slices.Equal(codes(got), []string{"TRAFALGAR"}) {
		t.Errorf("after closing Big Ben = %v", codes(got))
	}

	for _, tc := range []struct{ q NearQuery }{
		{NearQuery{Near: ""}}, {NearQuery{Near: "51.5"}}, {NearQuery{Near: "91,0"}}, {NearQuery{Near: "abc,def"}},
		{NearQuery{Near: "51,0", Limit: "0"}}, {NearQuery{Near: "51,0", Limit: "51"}}, {NearQuery{Near: "51,0", Type: "SHOP"}},
		{NearQuery{Near: "51,0", RadiusKm: "-1"}},
	} {
		_, err := f.svc.NearestBranches(ctx, f.tenant, tc.q)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || len(e.Fields) != 1 {
			t.Errorf("%+v: err = %v", tc.q, err)
		}
	}
}

func TestBoundingBoxEdges(t *testing.T) {
	if b := boundingBox(89.9, 0, 50); !b.anyLon || b.maxLat != 90 {
		t.Errorf("near the pole: %+v", b)
	}
	if b := boundingBox(0, 179.9, 50); !b.anyLon {
		t.Errorf("across the antimeridian: %+v", b)
	}
	b := boundingBox(51.5, -0.12, 10)
	if b.anyLon || b.minLat > 51.42 || b.maxLat < 51.58 || b.minLon > -0.26 || b.maxLon < 0.02 {
		t.Errorf("London 10 km: %+v", b)
	}
}

func TestBranchValidation(t *testing.T) {
	f := newFixture(t)
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	_, err := f.svc.CreateBranch(ctx, f.tenant, BranchInput{Code: "x", Type: "SHOP", Latitude: "95", Longitude: "0", Country: "XX",
		Hours: map[string]string{"MON": "17:00-09:00", "TUE": "9-5", "WED": "09:00-13:00, 12:00-15:00", "THU": "25:00-26:00"}})
	e, _ := apperr.As(err)
	got := map[string]bool{}
	for _, fe := range e.Fields {
		got[fe.Field] = true
	}
	for _, want := range []string{"code", "name", "type", "latitude", "country", "openingHours.MON", "openingHours.TUE", "openingHours.WED", "openingHours.THU"} {
		if !got[want] {
			t.Errorf("no problem named %s: %v", want, e.Fields)
		}
	}
	in := BranchInput{Code: "HQ", Name: "Head office", Type: TypeBranch, Latitude: "51.5", Longitude: "-0.1", Active: true,
		Hours: map[string]string{"MON": "13:30-17:00, 09:00 - 12:30", "SAT": "closed"}}
	b, err := f.svc.CreateBranch(ctx, f.tenant, in)
	if err != nil {
		t.Fatal(err)
	}
	if b.HoursText("MON") != "09:00-12:30, 13:30-17:00" || b.HoursText("SAT") != "" {
		t.Errorf("hours = %v", b.OpeningHours)
	}
	_, err = f.svc.CreateBranch(ctx, f.tenant, in)
	if e, _ := apperr.As(err); e == nil || e.Fields[0].Field != "code" {
		t.Errorf("duplicate code: %v", err)
	}
	// A digital point needs no place.
	if _, err := f.svc.CreateBranch(ctx, f.tenant, BranchInput{Code: "APP", Name: "Mobile app", Type: TypeDigital}); err != nil {
		t.Errorf("digital: %v", err)
	}
}

func TestConnectionTestRecordsHealth(t *testing.T) {
	f := newFixture(t)
	f.svc.AllowPrivateNetworks = true
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusUnauthorized) // there, but wants the API key
	}))
	defer up.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	mk := func(name, url string) uuid.UUID {
		c, err := f.svc.CreateConnector(ctx, f.tenant, ConnectorInput{Type: ConnWebhook, Name: name, Config: map[string]string{BaseURLKey: url}})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	c, err := f.svc.TestConnection(ctx, f.tenant, mk("up", up.URL))
	if err != nil {
		t.Fatal(err)
	}
	if c.Health != HealthHealthy || c.HealthDetail != "HTTP 401" || c.CheckedAt == nil || c.LatencyMs == nil {
		t.Errorf("up: %+v", c)
	}
	c, err = f.svc.TestConnection(ctx, f.tenant, mk("down", closed))
	if err != nil {
		t.Fatal(err)
	}
	if c.Health != HealthUnhealthy || c.HealthDetail != "connection refused" {
		t.Errorf("down: %s %q", c.Health, c.HealthDetail)
	}
	f.svc.AllowPrivateNetworks = false
	c, _ = f.svc.TestConnection(ctx, f.tenant, mk("private", up.URL))
	if c.Health != HealthUnhealthy || c.HealthDetail != "refused: "+errPrivate.Error() {
		t.Errorf("private: %s %q", c.Health, c.HealthDetail)
	}
	// Carrier-grade NAT and NAT64 reach internal hosts too: refused before
	// any packet is sent (without the check, the dial would wait out the
	// time-out and report that instead).
	for name, u := range map[string]string{"cgnat": "http://100.64.0.1:9/", "nat64": "http://[64:ff9b::a00:1]:9/"} {
		c, _ = f.svc.TestConnection(ctx, f.tenant, mk(name, u))
		if c.Health != HealthUnhealthy || c.HealthDetail != "refused: "+errPrivate.Error() {
			t.Errorf("%s: %s %q", name, c.Health, c.HealthDetail)
		}
	}
}

func TestSecretIsSealedToItsConnector(t *testing.T) {
	f := newFixture(t)
	a, b := uuid.New(), uuid.New()
	ch, err := f.svc.SealSecret(f.tenant, a, "sk_live_0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Hint != "cdef" || strings.Contains(string(mustJSON(t, ch)), "0123456789abcdef") {
		t.Errorf("change = %+v", ch)
	}
	ap := SecretApplier{Keys: f.svc.keys}
	if _, err := ap.change(f.tenant, a, mustJSON(t, ch)); err != nil {
		t.Errorf("own connector: %v", err)
	}
	if _, err := ap.change(f.tenant, b, mustJSON(t, ch)); err == nil {
		t.Error("a secret sealed for one connector opened for another")
	}
	if short, _ := f.svc.SealSecret(f.tenant, a, "shortsecret"); short.Hint != "" {
		t.Errorf("a short secret got a hint: %q", short.Hint)
	}
	if _, err := f.svc.SealSecret(f.tenant, a, "abc"); err == nil {
		t.Error("a 3-character secret was taken")
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
