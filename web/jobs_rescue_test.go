package web

import (
	"testing"
	"time"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/jobs"
)

// TestStuckJobRescued: a job left running by a worker that was killed (its
// row says running, attempted five minutes ago, and nobody works it) is
// taken for stuck after the configured rescue time, well before River's
// default hour, and run again to completion.
func TestStuckJobRescued(t *testing.T) {
	h := newHarness(t)
	owner := dbtest.OwnerPool(t)
	var id int64
	if err := owner.QueryRow(t.Context(), `
		INSERT INTO river_job (args, attempt, attempted_at, attempted_by, kind, max_attempts, queue, state, scheduled_at)
		VALUES ('{}', 1, now() - interval '5 minutes', '{killed-worker}', 'webhook.pump', 3, 'default', 'running', now() - interval '5 minutes')
		RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	r, err := jobs.New(h.pool, jobs.Config{Webhooks: h.s.Webhooks, KYC: h.s.KYC, Logger: h.s.Logger, PumpEvery: time.Hour,
		RescueAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(t.Context()) })

	var (
		state   string
		attempt int
	)
	deadline := time.Now().Add(time.Minute)
	for {
		if err := owner.QueryRow(t.Context(), `SELECT state, attempt FROM river_job WHERE id = $1`, id).Scan(&state, &attempt); err != nil {
			t.Fatal(err)
		}
		if state == "completed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if state != "completed" || attempt != 2 {
		t.Fatalf("stuck job: state %s after %d attempts; want completed on its second attempt", state, attempt)
	}
}
