package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db/dbtest"
)

// ciam events prune deletes old events, except, with NATS_URL set, those
// NATS has not been sent yet; it refuses a missing or bad age naming it.
func TestEventsPruneCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"ciam", "tenants", "create", "--slug", "prune_me", "--name", "Prune Me"}, getenv, &out, &out); err != nil {
		t.Fatalf("tenants create: %v\n%s", err, &out)
	}
	owner := dbtest.OwnerPool(t)
	var tenant uuid.UUID
	if err := owner.QueryRow(ctx, "SELECT id FROM tenants WHERE slug = 'prune_me'").Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	// Three events of a hundred days ago; NATS has the first only.
	var seqs []int64
	for i := range 3 {
		var seq int64
		err := owner.QueryRow(ctx, `INSERT INTO events (id, tenant_id, type, payload, occurred_at)
			VALUES ($1, $2, 'customer.registered', '{}', now() - interval '100 days' + $3 * interval '1 second') RETURNING tenant_seq`,
			uuid.New(), tenant, i).Scan(&seq)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	if _, err := owner.Exec(ctx, "INSERT INTO event_publications (publisher, tenant_id, seq) VALUES ('nats', $1, $2)", tenant, seqs[0]); err != nil {
		t.Fatal(err)
	}
	left := func() int {
		var n int
		if err := owner.QueryRow(ctx, "SELECT count(*) FROM events WHERE tenant_id = $1 AND occurred_at < now() - interval '90 days'", tenant).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, bad := range [][]string{{"prune"}, {"prune", "--older-than", "soon"}, {"prune", "--older-than", "-1h"}, {"purge"}} {
		out.Reset()
		if err := run(ctx, append([]string{"ciam", "events"}, bad...), getenv, &out, &out); err == nil || !strings.Contains(err.Error(), "older-than") {
			t.Errorf("events %v: %v; want an error naming --older-than", bad, err)
		}
	}

	env["NATS_URL"] = "nats://127.0.0.1:4222"
	out.Reset()
	if err := run(ctx, []string{"ciam", "events", "prune", "--older-than", "2160h"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "1 events pruned") {
		t.Fatalf("prune with NATS: %v\n%s", err, &out)
	}
	if n := left(); n != 2 {
		t.Fatalf("%d old events left; want the 2 NATS has not had", n)
	}
	delete(env, "NATS_URL")
	out.Reset()
	if err := run(ctx, []string{"ciam", "events", "prune", "--older-than", "2160h"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "2 events pruned") {
		t.Fatalf("prune without NATS: %v\n%s", err, &out)
	}
	var audited int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE action = 'events.pruned' AND actor_type = 'SYSTEM' AND tenant_id IS NULL").Scan(&audited); err != nil || audited != 2 {
		t.Errorf("%d events.pruned audit records, %v; want 2", audited, err)
	}
}
