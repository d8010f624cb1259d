package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/screening/screeningtest"
)

func TestScreeningLoadCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer
	err := run(ctx, []string{"ciam", "screening", "load", "--source", "un", screeningtest.Path(t, "un/consolidated.xml")}, getenv, &out, &out)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, &out)
	}
	for _, want := range []string{"write [##############################] 100%", "UN_CONSOLIDATED version 1 loaded: 1003 entries",
		"1003 added, 0 removed, 0 changed", "added    110327", "re-screening of every active customer"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}

	broken := filepath.Join(t.TempDir(), "consolidated.xml")
	b, err := os.ReadFile(screeningtest.Path(t, "un/consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, b[:len(b)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"ciam", "screening", "load", "--source", "un", broken}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "consolidated.xml line ") {
		t.Fatalf("broken list: err = %v", err)
	}

	out.Reset()
	if err := run(ctx, []string{"ciam", "screening", "versions", "--source", "un_consolidated"}, getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "FAILED") || !strings.Contains(lines[2], "CURRENT") {
		t.Errorf("versions:\n%s", &out)
	}

	err = run(ctx, []string{"ciam", "screening", "load", "--source", "dowjones", "x"}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "want ofac, ofac-cons, un, eu, uk, csl, dpl or senzing") {
		t.Errorf("unknown source: err = %v", err)
	}
}

// make run loads the demo lists once, queueing the re-screening a server
// then works.
func TestDemoListsLoadOnce(t *testing.T) {
	ctx := context.Background()
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dbtest.URL(t)}[k] }
	svc, closePool, err := screeningService(ctx, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer closePool()
	dir := screeningtest.DataDir(t)
	var out bytes.Buffer
	if err := loadDemoLists(ctx, svc, dir, &out); err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	for _, want := range []string{"loading the screening list OFAC_SDN", "OFAC_SDN version 1: 8976 entries", "OS_US_CONGRESS version 1: 1319 entries"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	versions, err := svc.Versions(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	current := map[string]bool{}
	for _, v := range versions {
		if v.Status == "CURRENT" {
			current[v.Source] = true
		}
	}
	if !current["OFAC_SDN"] || !current["UN_CONSOLIDATED"] || !current["OS_US_CONGRESS"] {
		t.Errorf("current lists %v", current)
	}
	var queued int
	if err := dbtest.OwnerPool(t).QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'screening.rescreen'").Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued < 2 {
		t.Errorf("%d re-screenings queued; want one per list loaded", queued)
	}
	out.Reset()
	if err := loadDemoLists(ctx, svc, dir, &out); err != nil || out.Len() != 0 {
		t.Errorf("second run: %v %q", err, &out)
	}
}
