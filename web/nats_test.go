package web

import (
	"context"
	"encoding/json"
	"github.com/ciamhq/ciam/internal/metrics"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/tenant"
)

// natsServer is a real NATS server with JetStream, in the test's process,
// on a random port and a store folder of the test's own, so that it can
// be stopped and started again with what it had stored.
type natsServer struct {
	t    *testing.T
	opts *natsserver.Options
	srv  *natsserver.Server
}

func startNATS(t *testing.T) *natsServer { return startNATSWith(t, nil) }

// startNATSWith starts a server whose options change first changes.
func startNATSWith(t *testing.T, change func(*natsserver.Options)) *natsServer {
	t.Helper()
	n := &natsServer{t: t, opts: &natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true}}
	if change != nil {
		change(n.opts)
	}
	n.start()
	// The same port from now on: a restart is the same server again.
	n.opts.Port = n.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	srv, err := natsserver.NewServer(n.opts)
	if err != nil {
		n.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		n.t.Fatal("nats-server did not start")
	}
	n.srv = srv
}

func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

func (n *natsServer) url() string {
	return "nats://" + net.JoinHostPort(n.opts.Host, strconv.Itoa(n.opts.Port))
}

// jetStream is a client of n, the way a consumer of the events connects.
func (n *natsServer) jetStream() jetstream.JetStream {
	n.t.Helper()
	nc, err := nats.Connect(n.url())
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		n.t.Fatal(err)
	}
	return js
}

// natsPublisher is the publisher the server runs with NATS_URL set, on a
// stream of the test's own.
func (h *harness) natsPublisher(n *natsServer) *event.Publisher {
	h.t.Helper()
	p := event.NewPublisher(h.pool, event.NATSConfig{URL: n.url(), Stream: "T_" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""), SubjectPrefix: "ciam"}, h.s.Logger)
	p.MinBackoff, p.MaxBackoff, p.AckWait = 20*time.Millisecond, 200*time.Millisecond, 2*time.Second
	h.t.Cleanup(p.Close)
	h.s.NATS = p
	return p
}

// publishAll makes passes until one publishes nothing.
func publishAll(t *testing.T, p *event.Publisher) int {
	t.Helper()
	total := 0
	for {
		n, err := p.PublishPending(t.Context())
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// storedEvent is an event of the harness tenant as the outbox has it.
type storedEvent struct {
	ID       string
	Seq      int64
	Type     string
	Customer string
}

func (h *harness) outbox() []storedEvent {
	h.t.Helper()
	rows, err := dbtest.OwnerPool(h.t).Query(h.t.Context(),
		"SELECT id::text, tenant_seq, type, CASE WHEN entity_type = 'customer' THEN entity_id ELSE '' END FROM events WHERE tenant_id = $1 ORDER BY tenant_seq", h.tenant.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		if err := rows.Scan(&e.ID, &e.Seq, &e.Type, &e.Customer); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// streamMsg is a message of the stream, as a consumer reads it.
type streamMsg struct {
	StreamSeq uint64
	Subject   string
	Header    nats.Header
	Body      event.NATSBody
	Raw       string
}

// readStream reads every message of stream matching filter from the
// stream sequence from (1: the first) with a durable pull consumer, the
// way `nats consumer add --deliver <from>` replays.
func readStream(t *testing.T, js jetstream.JetStream, stream, filter string, from uint64) []streamMsg {
	t.Helper()
	ctx := t.Context()
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "replay-" + uuid.NewString()[:8], FilterSubject: filter, AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from,
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []streamMsg
	for pending := int(info.NumPending); pending > 0; {
		batch, err := cons.Fetch(pending, jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			var b event.NATSBody
			if err := json.Unmarshal(m.Data(), &b); err != nil {
				t.Fatalf("message body: %v: %s", err, m.Data())
			}
			out = append(out, streamMsg{StreamSeq: meta.Sequence.Stream, Subject: m.Subject(), Header: m.Headers(), Body: b, Raw: string(m.Data())})
			_ = m.Ack()
			got++
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if got == 0 {
			t.Fatalf("the consumer delivered nothing of %d pending", pending)
		}
		pending -= got
	}
	// Nothing more than counted: the stream holds exactly these.
	if info, err := cons.Info(ctx); err != nil || info.NumPending != 0 {
		t.Fatalf("after reading: %+v %v", info, err)
	}
	return out
}

func eventIDs[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// Events made through the API are on the stream, in the tenant's order,
// with their subjects and headers; publishing them again (a crash after
// JetStream's acknowledgement, before the position was recorded) leaves
// one message each; a consumer replays from a stream sequence exactly the
// events from there.
func TestNATSPublishesEvents(t *testing.T) {
	n := startNATS(t)
	h, admin := sessionHarness(t)
	h.settings("login_otp_required = true")
	ana := h.register(admin, person{First: "Ana", Last: "Nats", Email: "ana.nats@example.com", Phone: "+447911123471"})
	ben := h.register(admin, person{First: "Ben", Last: "Nats", Email: "ben.nats@example.com", Phone: "+447911123472"})
	resp, out := h.login("ana.nats@example.com", examplePass)
	if resp.StatusCode != 200 || data(out)["otpRequired"] != true {
		t.Fatalf("login: %d %v", resp.StatusCode, out)
	}
	code := h.sentCode(data(out)["challengeId"].(string))

	p := h.natsPublisher(n)
	if got := publishAll(t, p); got == 0 {
		t.Fatal("nothing published")
	}
	want := h.outbox()
	if len(want) < 4 {
		t.Fatalf("only %d events in the outbox", len(want))
	}
	js := n.jetStream()
	stream := p.Stream()
	filter := "ciam." + h.tenant.Slug + ".>"
	got := readStream(t, js, stream, filter, 1)
	if diff := cmp.Diff(eventIDs(want, func(e storedEvent) string { return e.ID }), eventIDs(got, func(m streamMsg) string { return m.Body.EventID.String() })); diff != "" {
		t.Fatalf("the stream's events differ from the outbox's, in order (-outbox +stream):\n%s", diff)
	}
	customers := map[string]bool{}
	otps := 0
	for i, m := range got {
		e := want[i]
		if m.Subject != "ciam."+h.tenant.Slug+"."+e.Type {
			t.Errorf("event %d subject %q; want ciam.%s.%s", i, m.Subject, h.tenant.Slug, e.Type)
		}
		for k, v := range map[string]string{"Nats-Msg-Id": e.ID, "Ciam-Event-Type": e.Type, "Ciam-Tenant": h.tenant.ID.String(), "Ciam-Customer": e.Customer} {
			if m.Header.Get(k) != v {
				t.Errorf("event %d (%s) header %s = %q; want %q", i, e.Type, k, m.Header.Get(k), v)
			}
		}
		if m.Body.Seq != e.Seq || m.Body.Event != e.Type || m.Body.TenantID != h.tenant.ID || m.Body.OccurredAt.IsZero() || len(m.Body.Data) == 0 {
			t.Errorf("event %d body %s", i, m.Raw)
		}
		customers[m.Header.Get("Ciam-Customer")] = true
		if e.Type == "customer.otp.requested" {
			otps++
			if strings.Contains(m.Raw, code) || strings.Contains(m.Raw, `"code"`) {
				t.Errorf("the one-time code is on the stream: %s", m.Raw)
			}
		}
	}
	if !customers[ana] || !customers[ben] || otps != 1 {
		t.Errorf("customers %v, %d one-time code events; want both customers' events and one code", customers, otps)
	}
	if l, err := p.Lag(t.Context()); err != nil || l.Events != 0 || !l.Oldest.IsZero() || l.Down {
		t.Errorf("lag after publishing: %+v %v", l, err)
	}
	// A restart (a new publisher on the same stream) resumes from the
	// position recorded: nothing to publish again.
	restarted := event.NewPublisher(h.pool, event.NATSConfig{URL: n.url(), Stream: stream, SubjectPrefix: "ciam"}, h.s.Logger)
	t.Cleanup(restarted.Close)
	if again := publishAll(t, restarted); again != 0 {
		t.Errorf("after a restart %d events published again; want 0", again)
	}

	// A crash between the acknowledgements and the position: published
	// again, each event is dropped as a duplicate by JetStream.
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "UPDATE event_publications SET seq = 0 WHERE publisher = 'nats' AND tenant_id = $1", h.tenant.ID); err != nil {
		t.Fatal(err)
	}
	if l, err := p.Lag(t.Context()); err != nil || l.Events != int64(len(want)) || l.Oldest.IsZero() {
		t.Errorf("lag after the reset: %+v %v; want %d events", l, err, len(want))
	}
	if again := publishAll(t, p); again != len(want) {
		t.Errorf("published again %d; want %d", again, len(want))
	}
	if again := readStream(t, js, stream, filter, 1); len(again) != len(want) {
		t.Errorf("%d messages after publishing again; want %d (one per event)", len(again), len(want))
	}

	// Replay from a stream sequence: exactly the events from there on.
	from := got[2].StreamSeq
	replayed := readStream(t, js, stream, filter, from)
	if diff := cmp.Diff(eventIDs(want[2:], func(e storedEvent) string { return e.ID }), eventIDs(replayed, func(m streamMsg) string { return m.Body.EventID.String() })); diff != "" {
		t.Errorf("replay from stream sequence %d (-want +got):\n%s", from, diff)
	}
}

// NATS down: events wait in the outbox (readiness stays green, the lag
// shows them, one warning), and once it is back they all arrive, in
// order, none twice.
func TestNATSCatchesUpAfterOutage(t *testing.T) {
	n := startNATS(t)
	h, admin := sessionHarness(t)
	h.register(admin, person{First: "Cai", Last: "Before", Email: "cai.before@example.com", Phone: "+447911123473"})
	p := h.natsPublisher(n)
	publishAll(t, p)
	before := len(h.outbox())

	n.stop()
	for _, who := range []person{
		{First: "Dee", Last: "During", Email: "dee.during@example.com", Phone: "+447911123474"},
		{First: "Eve", Last: "During", Email: "eve.during@example.com", Phone: "+447911123475"},
	} {
		h.register(admin, who)
	}
	waiting := len(h.outbox()) - before
	for range 3 {
		if _, err := p.PublishPending(t.Context()); err == nil {
			t.Fatal("a pass with NATS down succeeded")
		}
	}
	if c := strings.Count(h.logs.String(), "NATS is unreachable"); c != 1 {
		t.Errorf("%d warnings that NATS is unreachable over three failed passes; want 1", c)
	}
	l, err := p.Lag(t.Context())
	if err != nil || l.Events != int64(waiting) || l.Oldest.IsZero() || !l.Down || l.Age(time.Now()) <= 0 {
		t.Errorf("lag while NATS is down: %+v %v; want %d events waiting", l, err, waiting)
	}
	// The operator sees the lag in the metrics.
	meters := metrics.New(metrics.Options{Pool: h.pool, ReviewSLA: time.Hour, Logger: h.s.Logger,
		NATSLag: func(ctx context.Context) (int64, time.Time, bool, error) {
			l, err := p.Lag(ctx)
			return l.Events, l.Oldest, l.Down, err
		}})
	ms := httptest.NewServer(meters.Handler())
	sc := scrapeMetrics(t, ms.URL)
	ms.Close()
	if got := sc.value("ciam_nats_unpublished_events", nil); got != float64(waiting) {
		t.Errorf("ciam_nats_unpublished_events = %v; want %d", got, waiting)
	}
	if sc.value("ciam_nats_down", nil) != 1 || sc.value("ciam_nats_lag_seconds", nil) <= 0 {
		t.Errorf("ciam_nats_down = %v, ciam_nats_lag_seconds = %v; want 1 and more than 0",
			sc.value("ciam_nats_down", nil), sc.value("ciam_nats_lag_seconds", nil))
	}
	resp := h.get("/readyz")
	var ready struct {
		Status string
		Checks map[string]string
	}
	_ = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(ready.Checks["nats"], "unreachable") {
		t.Errorf("/readyz with NATS down: %d %+v; want 200 saying NATS is unreachable", resp.StatusCode, ready)
	}

	// Back: the publisher's own loop catches up.
	n.start()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(time.Minute)
	for {
		l, err := p.Lag(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if l.Events == 0 && !l.Down {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the publisher did not catch up: %+v", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done

	want := h.outbox()
	got := readStream(t, n.jetStream(), p.Stream(), "ciam."+h.tenant.Slug+".>", 1)
	if diff := cmp.Diff(eventIDs(want, func(e storedEvent) string { return e.ID }), eventIDs(got, func(m streamMsg) string { return m.Body.EventID.String() })); diff != "" {
		t.Errorf("after the outage (-outbox +stream):\n%s", diff)
	}
	if !strings.Contains(h.logs.String(), "NATS is reachable again") {
		t.Error("no word that NATS is back")
	}
	resp = h.get("/readyz")
	_ = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != 200 || ready.Checks["nats"] != "ok" {
		t.Errorf("/readyz with NATS back: %d %+v", resp.StatusCode, ready)
	}
}

// Pruning the outbox keeps every event NATS has not been sent yet, however
// old, and prunes the others.
func TestNATSPruneKeepsUnpublishedEvents(t *testing.T) {
	h, admin := sessionHarness(t)
	h.register(admin, person{First: "Fay", Last: "Prune", Email: "fay.prune@example.com", Phone: "+447911123476"})
	h.register(admin, person{First: "Gus", Last: "Prune", Email: "gus.prune@example.com", Phone: "+447911123477"})
	reader := h.adminToken(h.tenant, credential.ScopeEventsRead)
	all := h.outbox()
	if len(all) < 3 {
		t.Fatalf("only %d events", len(all))
	}
	// NATS has the first two only.
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "INSERT INTO event_publications (publisher, tenant_id, seq) VALUES ('nats', $1, $2)", h.tenant.ID, all[1].Seq); err != nil {
		t.Fatal(err)
	}
	events := event.NewService(h.pool)
	n, err := events.Prune(t.Context(), h.tenant.ID, time.Now().Add(time.Hour), []string{event.NATSPublisher})
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want the 2 published", n, err)
	}
	if diff := cmp.Diff(eventIDs(all[2:], func(e storedEvent) string { return e.ID }), eventIDs(h.outbox(), func(e storedEvent) string { return e.ID })); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	// Replay reads on from the oldest event kept.
	if resp, out := h.apiCall("GET", "/api/v2.1/events", h.tenant.Slug, reader, "", nil); resp.StatusCode != 200 || len(out["data"].([]any)) != len(all)-2 {
		t.Errorf("replay after pruning: %d %v", resp.StatusCode, out)
	}
	// Without NATS configured, nothing holds them.
	if n, err := events.Prune(t.Context(), h.tenant.ID, time.Now().Add(time.Hour), nil); err != nil || n != int64(len(all)-2) {
		t.Errorf("pruned without NATS %d, %v; want %d", n, err, len(all)-2)
	}
	// NATS turned on after that: the pruned events are not waited for.
	p := h.natsPublisher(startNATS(t))
	publishAll(t, p)
	if c := h.count("SELECT count(*) FROM event_publication_backlog('nats') WHERE tenant_id = $1", h.tenant.ID); c != 0 {
		t.Errorf("the publisher still waits for pruned events")
	}
}

// Of several instances only the one holding the advisory lock publishes;
// the others' passes publish nothing, and take over once it is free.
func TestNATSOnePublisherAtATime(t *testing.T) {
	n := startNATS(t)
	h, admin := sessionHarness(t)
	h.register(admin, person{First: "Hal", Last: "Lock", Email: "hal.lock@example.com", Phone: "+447911123478"})
	p := h.natsPublisher(n)
	other, err := dbtest.OwnerPool(t).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(context.WithoutCancel(t.Context()))
	if _, err := other.Exec(t.Context(), "SELECT pg_advisory_xact_lock($1)", event.NATSLockKey); err != nil {
		t.Fatal(err)
	}
	if got, err := p.PublishPending(t.Context()); err != nil || got != 0 {
		t.Fatalf("a pass while another instance publishes: %d, %v; want nothing", got, err)
	}
	if l, err := p.Lag(t.Context()); err != nil || l.Events == 0 {
		t.Fatalf("lag while another instance publishes: %+v %v", l, err)
	}
	if err := other.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	publishAll(t, p)
	want := h.outbox()
	got := readStream(t, n.jetStream(), p.Stream(), "ciam."+h.tenant.Slug+".>", 1)
	if len(got) != len(want) {
		t.Errorf("%d messages; want %d", len(got), len(want))
	}
	// The stream is as the publisher made it.
	info, err := n.jetStream().Stream(t.Context(), p.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if c := info.CachedInfo().Config; c.Duplicates != 2*time.Minute || !cmp.Equal(c.Subjects, []string{"ciam.>"}) || c.Storage != jetstream.FileStorage {
		t.Errorf("stream config: duplicates %v, subjects %v, storage %v", c.Duplicates, c.Subjects, c.Storage)
	}
}

// An event NATS refuses (over its payload limit) waits in the outbox and
// holds back its own tenant's later events only: the other tenants' are
// published, and the refusal is logged once.
func TestNATSRefusedEventHoldsBackOnlyItsTenant(t *testing.T) {
	n := startNATSWith(t, func(o *natsserver.Options) { o.MaxPayload = 16 << 10 })
	h, admin := sessionHarness(t)
	big, err := h.s.Tenants.Create(t.Context(), tenant.CreateParams{Slug: "big-" + uuid.NewString()[:8], Name: "Big Payloads Ltd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"note":"` + strings.Repeat("x", 32<<10) + `"}`
	if _, err := dbtest.OwnerPool(t).Exec(t.Context(), "INSERT INTO events (id, tenant_id, type, payload) VALUES ($1, $2, 'config.changed', $3)", uuid.New(), big.ID, huge); err != nil {
		t.Fatal(err)
	}
	h.register(admin, person{First: "Ida", Last: "Small", Email: "ida.small@example.com", Phone: "+447911123479"})
	p := h.natsPublisher(n)
	publishAll(t, p)
	publishAll(t, p)
	want := h.outbox()
	if got := readStream(t, n.jetStream(), p.Stream(), "ciam."+h.tenant.Slug+".>", 1); len(got) != len(want) {
		t.Errorf("%d of the other tenant's %d events published", len(got), len(want))
	}
	if c := h.count("SELECT count(*) FROM event_publications WHERE tenant_id = $1 AND seq > 0", big.ID); c != 0 {
		t.Errorf("the refused event's tenant has a position")
	}
	if c := strings.Count(h.logs.String(), "NATS refuses an event"); c != 1 {
		t.Errorf("%d logs of the refusal over two passes; want 1", c)
	}
	if l, err := p.Lag(t.Context()); err != nil || l.Events != 1 || l.Down {
		t.Errorf("lag: %+v %v; want the one refused event waiting, NATS up", l, err)
	}
}

// A stream an operator made beforehand gets the subjects and the
// duplicate window, and keeps the rest of what was set on it.
func TestNATSStreamKeepsOperatorSettings(t *testing.T) {
	n := startNATS(t)
	h, admin := sessionHarness(t)
	h.register(admin, person{First: "Jo", Last: "Stream", Email: "jo.stream@example.com", Phone: "+447911123480"})
	p := h.natsPublisher(n)
	js := n.jetStream()
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: p.Stream(), Subjects: []string{"other.>"}, MaxMsgs: 100000,
		MaxAge: 720 * time.Hour, Duplicates: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	publishAll(t, p)
	s, err := js.Stream(t.Context(), p.Stream())
	if err != nil {
		t.Fatal(err)
	}
	c := s.CachedInfo().Config
	if !cmp.Equal(c.Subjects, []string{"other.>", "ciam.>"}) || c.Duplicates != 2*time.Minute || c.MaxMsgs != 100000 || c.MaxAge != 720*time.Hour {
		t.Errorf("stream config: subjects %v, duplicates %v, max msgs %d, max age %v", c.Subjects, c.Duplicates, c.MaxMsgs, c.MaxAge)
	}
	if got := readStream(t, js, p.Stream(), "ciam."+h.tenant.Slug+".>", 1); len(got) != len(h.outbox()) {
		t.Errorf("%d messages; want %d", len(got), len(h.outbox()))
	}
}
