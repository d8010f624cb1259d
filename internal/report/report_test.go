package report

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ciamhq/ciam/internal/apperr"
)

func TestShippedDefinitionsLoad(t *testing.T) {
	c, err := LoadCatalog(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"customers_by_risk", "peps", "screening_hits", "verifications_decided", "alerts", "sars", "fee_rules"} {
		if _, err := c.Get(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestBadDefinitionsAreRefused(t *testing.T) {
	cases := map[string]string{
		"unknown source":  `{"id":"x_y","title":"T","source":"nowhere","columns":["id"]}`,
		"unknown column":  `{"id":"x_y","title":"T","source":"customers","columns":["id","salary"]}`,
		"unknown filter":  `{"id":"x_y","title":"T","source":"customers","columns":["id"],"filters":["shoe_size"]}`,
		"bad fixed value": `{"id":"x_y","title":"T","source":"alerts","columns":["id"],"fixed":{"status":"MAYBE"}}`,
		"fixed and open":  `{"id":"x_y","title":"T","source":"alerts","columns":["id"],"filters":["status"],"fixed":{"status":"OPEN"}}`,
		"unknown field":   `{"id":"x_y","title":"T","source":"customers","columns":["id"],"sql":"DROP TABLE customers"}`,
		"bad id":          `{"id":"X Y","title":"T","source":"customers","columns":["id"]}`,
		"no columns":      `{"id":"x_y","title":"T","source":"customers","columns":[]}`,
		"column twice":    `{"id":"x_y","title":"T","source":"customers","columns":["id","id"]}`,
	}
	for name, def := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadCatalog(fstest.MapFS{"d.json": {Data: []byte(def)}}); err == nil {
				t.Error("loaded")
			}
		})
	}
}

func TestResolveNamesEveryBadFilter(t *testing.T) {
	d, err := MustCatalog().Get("sars")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Resolve(Values{"severity": "EXTREME", "since": "yesterday", "status": "OPEN"})
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	got := strings.Join(fields, ",")
	for _, want := range []string{"severity", "since", "status"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not named (got %s)", want, got)
		}
	}
	v, err := d.Resolve(Values{"severity": "HIGH", "since": "2026-01-01", "until": "2026-01-31"})
	if err != nil || v["status"] != "SAR_DRAFTED" || v["severity"] != "HIGH" {
		t.Errorf("resolved %v %v", v, err)
	}
	if _, err := d.Resolve(Values{"since": "2026-02-01", "until": "2026-01-31"}); err == nil {
		t.Error("until before since accepted")
	}
}
