package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ciamhq/ciam/db/dbtest"
)

// ciam serve with NATS_URL makes the stream and publishes the outbox's
// events to it, under the configured subject prefix; /readyz says NATS is
// reached.
func TestServePublishesEventsToNATS(t *testing.T) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })

	ctx, cancel := context.WithCancel(context.Background())
	appPort := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", appPort)
	logs := &syncBuffer{}
	env := map[string]string{
		"HTTP_ADDR":             fmt.Sprintf("127.0.0.1:%d", appPort),
		"PUBLIC_URL":            base,
		"DATABASE_URL":          dbtest.URL(t),
		"SESSION_KEYS":          "bWV0cmljcy10ZXN0LW1ldHJpY3MtdGVzdC1tZXRyaWNzLXRlc3QtbWV0cmljcw==",
		"OIDC_ISSUER":           "http://127.0.0.1:1", // never asked: no one signs in
		"OIDC_CLIENT_ID":        "ciam",
		"OIDC_CLIENT_SECRET":    "secret",
		"LOG_FORMAT":            "text",
		"FIELD_ENCRYPTION_KEYS": "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"NATS_URL":              ns.ClientURL(),
		"NATS_STREAM":           "SERVE_EVENTS",
		"NATS_SUBJECT_PREFIX":   "bank.ciam",
	}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ciam", "serve"}, func(k string) string { return env[k] }, logs, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs)
		}
	})
	readyz := func() (int, map[string]string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var body struct{ Checks map[string]string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Checks
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := readyz(); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var out syncBuffer
	if err := run(ctx, []string{"ciam", "tenants", "create", "--slug", "natsbank", "--name", "NATS Bank"}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("tenants create: %v\n%s", err, &out)
	}
	owner := dbtest.OwnerPool(t)
	id := uuid.New()
	if _, err := owner.Exec(ctx, "INSERT INTO events (id, tenant_id, type, payload) SELECT $1, id, 'config.changed', '{\"change\":\"test\"}' FROM tenants WHERE slug = 'natsbank'", id); err != nil {
		t.Fatal(err)
	}

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// The server makes the stream and publishes on its own; this waits
	// for the message.
	var msg *jetstream.RawStreamMsg
	for {
		if s, err := js.Stream(ctx, "SERVE_EVENTS"); err == nil {
			if msg, err = s.GetLastMsgForSubject(ctx, "bank.ciam.natsbank.config.changed"); err == nil {
				break
			}
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("no message on the stream\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if msg.Header.Get("Nats-Msg-Id") != id.String() {
		t.Errorf("message id %q; want the event id %s", msg.Header.Get("Nats-Msg-Id"), id)
	}
	if code, checks := readyz(); code != http.StatusOK || checks["nats"] != "ok" {
		t.Errorf("/readyz: %d %v", code, checks)
	}
}
