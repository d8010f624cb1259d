package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/shred"
)

// NATSPublisher is the name of the NATS publisher's positions in
// event_publications, and what pruning keeps events for.
const NATSPublisher = "nats"

// NATSLockKey is the PostgreSQL advisory lock the publishing instance
// holds during a pass (the bytes of "ciamnats"): pg_locks shows who
// publishes.
const NATSLockKey int64 = 0x6369616d6e617473

// NATSConfig is where and how events are published.
type NATSConfig struct {
	URL           string
	Stream        string // default CIAM_EVENTS
	SubjectPrefix string // default ciam
	CredsFile     string // optional
}

// Publisher publishes every business event of the outbox to a NATS
// JetStream stream, tenant by tenant in each tenant's event order (so a
// customer's events, which are all their tenant's, keep their order), at
// least once. It records, per tenant, the last event JetStream
// acknowledged, in PostgreSQL, so that a restart resumes where it stopped
// and NATS being down only makes events wait in the outbox.
//
// With several server instances only one publishes at a time: each pass
// runs under a PostgreSQL advisory lock, and an instance that does not
// get it skips the pass. Letting all publish and relying on JetStream's
// de-duplication would also leave one message per event, but only within
// the duplicate window, and two instances interleaving could store one
// tenant's events out of order; the lock keeps the order and the window is
// left for what it is meant for: an event published again after a crash
// between JetStream's acknowledgement and the position being recorded.
type Publisher struct {
	pool   *pgxpool.Pool
	cfg    NATSConfig
	logger *slog.Logger

	// Batch is how many of a tenant's events one pass reads at a time.
	Batch int
	// Idle is how long the loop waits between passes that found nothing.
	Idle time.Duration
	// MinBackoff and MaxBackoff bound the waits after a failed pass; each
	// failure doubles the wait.
	MinBackoff, MaxBackoff time.Duration
	// AckWait bounds the wait for JetStream's acknowledgement of one event.
	AckWait time.Duration
	// DuplicateWindow is how long JetStream remembers the event ids it has
	// stored, and drops a message carrying one again.
	DuplicateWindow time.Duration

	mu    sync.Mutex
	nc    *nats.Conn
	js    jetstream.JetStream
	ready bool // the stream exists as configured
	down  bool // the last pass failed on NATS; warned once
	// refused are the events NATS refused, each logged once.
	refused map[uuid.UUID]bool
}

// NewPublisher returns the publisher of cfg on pool; Run starts it. It
// connects lazily: NATS being down at start is an outage like any other.
func NewPublisher(pool *pgxpool.Pool, cfg NATSConfig, logger *slog.Logger) *Publisher {
	if cfg.Stream == "" {
		cfg.Stream = "CIAM_EVENTS"
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = "ciam"
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Publisher{pool: pool, cfg: cfg, logger: logger, Batch: 200, Idle: 500 * time.Millisecond,
		MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, AckWait: 5 * time.Second, DuplicateWindow: 2 * time.Minute}
}

// Stream is the JetStream stream the events go to.
func (p *Publisher) Stream() string { return p.cfg.Stream }

// Lag is how far the publisher is behind the outbox.
type Lag struct {
	// Events is how many events wait to be published.
	Events int64
	// Oldest is when the oldest of them was written; zero when none waits.
	Oldest time.Time
	// Down reports whether the last attempt to reach NATS failed.
	Down bool
}

// Age is how long the oldest waiting event has waited at now.
func (l Lag) Age(now time.Time) time.Duration {
	if l.Oldest.IsZero() {
		return 0
	}
	return max(now.Sub(l.Oldest), 0)
}

// Lag reads the publisher's lag from the database, so that it is right
// on every instance, the publishing one or not: for metrics and for
// operators.
func (p *Publisher) Lag(ctx context.Context) (Lag, error) {
	var rows []db.EventPublicationBacklogRow
	err := db.InTx(ctx, p.pool, func(q *db.Queries) error {
		var err error
		rows, err = q.EventPublicationBacklog(ctx, NATSPublisher)
		return err
	})
	if err != nil {
		return Lag{}, fmt.Errorf("event: nats lag: %w", err)
	}
	var l Lag
	for _, r := range rows {
		l.Events += r.LastSeq - r.PublishedSeq
		if l.Oldest.IsZero() || r.OldestAt.Before(l.Oldest) {
			l.Oldest = r.OldestAt
		}
	}
	p.mu.Lock()
	l.Down = p.down
	p.mu.Unlock()
	return l, nil
}

// Down reports whether this instance's last attempt to reach NATS failed
// (an instance that does not hold the lock does not try).
func (p *Publisher) Down() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// Run publishes until ctx ends: a pass, then another at once while there
// was work, after Idle when there was none, and after a back-off growing
// to MaxBackoff while NATS or the database fails.
func (p *Publisher) Run(ctx context.Context) {
	defer p.Close()
	backoff := p.MinBackoff
	for {
		n, err := p.PublishPending(ctx)
		wait := p.Idle
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait = backoff
			backoff = min(backoff*2, p.MaxBackoff)
		case n > 0:
			wait = 0
			backoff = p.MinBackoff
		default:
			backoff = p.MinBackoff
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// Close drops the connection to NATS.
func (p *Publisher) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nc != nil {
		p.nc.Close()
		p.nc, p.js, p.ready = nil, nil, false
	}
}

// errNATS marks a failure of NATS rather than of the database.
var errNATS = errors.New("nats")

// PublishPending makes one pass: every tenant's events not yet published,
// up to Batch per tenant, oldest waiting tenant first. It says how many
// events JetStream acknowledged. Another instance holding the lock makes
// it a pass of nothing.
func (p *Publisher) PublishPending(ctx context.Context) (int, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("event: nats: %w", err)
	}
	defer conn.Release()
	// The lock is the transaction's, so that it cannot outlive the pass on
	// a connection returned to the pool, and a connection that breaks
	// releases it.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("event: nats: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var mine bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", NATSLockKey).Scan(&mine); err != nil {
		return 0, fmt.Errorf("event: nats: lock: %w", err)
	}
	if !mine {
		return 0, nil
	}
	n, err := p.pass(ctx)
	p.noteOutcome(err)
	return n, err
}

func (p *Publisher) pass(ctx context.Context) (int, error) {
	var backlog []db.EventPublicationBacklogRow
	err := db.InTx(ctx, p.pool, func(q *db.Queries) error {
		var err error
		backlog, err = q.EventPublicationBacklog(ctx, NATSPublisher)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("event: nats: backlog: %w", err)
	}
	if len(backlog) == 0 {
		return 0, nil
	}
	js, err := p.jetStream(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, b := range backlog {
		n, err := p.publishTenant(ctx, js, b)
		total += n
		var r *refusedError
		if errors.As(err, &r) {
			// One event NATS refuses (one over its payload limit, say)
			// holds back its tenant's later events, not the other
			// tenants'; it is tried again each pass, and warned of once.
			p.noteRefused(r)
			continue
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// refusedError is an event NATS will not take however often it is sent.
type refusedError struct {
	tenant, event uuid.UUID
	err           error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("event: nats: tenant %s: event %s refused: %v", e.tenant, e.event, e.err)
}

func (e *refusedError) Unwrap() error { return e.err }

func (p *Publisher) noteRefused(r *refusedError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused == nil {
		p.refused = map[uuid.UUID]bool{}
	}
	if p.refused[r.event] {
		return
	}
	p.refused[r.event] = true
	p.logger.Error("NATS refuses an event: the tenant's later events wait behind it in the outbox",
		slog.String("tenant", r.tenant.String()), slog.String("event_id", r.event.String()), slog.Any("error", r.err))
}

// publishTenant publishes up to Batch of one tenant's waiting events, one
// at a time: each is sent only once the one before it is acknowledged, so
// that a failure can never leave a later event stored before an earlier
// one. The position recorded is that of the last event acknowledged.
func (p *Publisher) publishTenant(ctx context.Context, js jetstream.JetStream, b db.EventPublicationBacklogRow) (int, error) {
	var rows []db.Event
	var seq int64
	err := db.InTenantTx(ctx, p.pool, b.TenantID, func(q *db.Queries) error {
		var err error
		seq, err = q.EventPublication(ctx, db.EventPublicationParams{Publisher: NATSPublisher, TenantID: b.TenantID})
		if err != nil {
			return err
		}
		rows, err = q.ListEventsAfter(ctx, db.ListEventsAfterParams{TenantID: b.TenantID, AfterSeq: seq, MaxRows: int32(p.Batch)})
		if err != nil {
			return err
		}
		open := shred.Installed().Opener(q, b.TenantID)
		for i := range rows {
			if rows[i].Payload, err = open.JSON(ctx, rows[i].Payload); err != nil {
				return err
			}
		}
		if len(rows) > 0 || b.LastSeq <= seq {
			return nil
		}
		// The events up to the tenant's last number, all committed when
		// the backlog was read, are gone: pruned while NATS was not
		// configured. There is nothing to publish up to there.
		return q.RecordEventPublication(ctx, db.RecordEventPublicationParams{Publisher: NATSPublisher, TenantID: b.TenantID, Seq: b.LastSeq})
	})
	if err != nil {
		return 0, fmt.Errorf("event: nats: tenant %s: %w", b.TenantID, err)
	}
	acked, last := 0, int64(0)
	var pubErr error
	for _, r := range rows {
		msg, err := p.message(b.TenantID, b.Slug, r)
		if err != nil {
			pubErr = &refusedError{tenant: b.TenantID, event: r.ID, err: err}
			break
		}
		actx, cancel := context.WithTimeout(ctx, p.AckWait)
		_, err = js.PublishMsg(actx, msg, jetstream.WithMsgID(r.ID.String()), jetstream.WithExpectStream(p.cfg.Stream))
		cancel()
		if errors.Is(err, nats.ErrMaxPayload) {
			pubErr = &refusedError{tenant: b.TenantID, event: r.ID, err: err}
			break
		}
		if err != nil {
			pubErr = fmt.Errorf("%w: publish event %s: %w", errNATS, r.ID, err)
			break
		}
		acked, last = acked+1, r.TenantSeq
	}
	if acked > 0 {
		err := db.InTenantTx(context.WithoutCancel(ctx), p.pool, b.TenantID, func(q *db.Queries) error {
			return q.RecordEventPublication(ctx, db.RecordEventPublicationParams{Publisher: NATSPublisher, TenantID: b.TenantID, Seq: last})
		})
		if err != nil {
			return acked, fmt.Errorf("event: nats: record position: %w", err)
		}
	}
	return acked, pubErr
}

// NATSBody is what a message on the stream carries: the event as GET /events
// shows it (one-time codes left out), with its tenant and the tenant's
// event number, the cursor of GET /events.
type NATSBody struct {
	Event      string            `json:"event"`
	EventID    uuid.UUID         `json:"eventId"`
	Version    int32             `json:"version"`
	OccurredAt time.Time         `json:"occurredAt"`
	TenantID   uuid.UUID         `json:"tenantId"`
	Seq        int64             `json:"seq"`
	Entity     map[string]string `json:"entity"`
	Data       json.RawMessage   `json:"data"`
}

func (p *Publisher) message(tenant uuid.UUID, slug string, r db.Event) (*nats.Msg, error) {
	payload := withoutSecrets(r.Type, r.Payload)
	body, err := json.Marshal(NATSBody{Event: r.Type, EventID: r.ID, Version: r.Version, OccurredAt: r.OccurredAt.UTC(),
		TenantID: tenant, Seq: r.TenantSeq, Entity: map[string]string{"type": r.EntityType, "id": r.EntityID}, Data: payload})
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(Subject(p.cfg.SubjectPrefix, tenant, slug, r.Type))
	msg.Data = body
	msg.Header.Set("Ciam-Event-Type", r.Type)
	msg.Header.Set("Ciam-Tenant", tenant.String())
	if c := customerOf(r); c != "" {
		msg.Header.Set("Ciam-Customer", c)
	}
	return msg, nil
}

// customerOf is the customer an event is about: its entity when that is a
// customer, otherwise the customerId of its payload.
func customerOf(r db.Event) string {
	if r.EntityType == "customer" && r.EntityID != "" {
		return r.EntityID
	}
	var m struct {
		CustomerID string `json:"customerId"`
	}
	if json.Unmarshal(r.Payload, &m) == nil {
		if id, err := uuid.Parse(m.CustomerID); err == nil {
			return id.String()
		}
	}
	return ""
}

// safeToken is what a subject token may be without quoting: NATS splits
// subjects on dots and gives * and > their wildcard meaning.
var safeToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Subject is an event's subject: prefix, the tenant's slug (its id when
// the slug is not a safe token) and the event type, whose dots make
// tokens of their own (customer.registered → ciam.acme.customer.registered),
// so that a consumer can ask for a tenant's events, or one kind of them.
func Subject(prefix string, tenant uuid.UUID, slug, eventType string) string {
	if !safeToken.MatchString(slug) {
		slug = tenant.String()
	}
	parts := strings.Split(eventType, ".")
	for i, part := range parts {
		if !safeToken.MatchString(part) {
			parts[i] = strings.Map(func(r rune) rune {
				if r < 128 && safeToken.MatchString(string(r)) {
					return r
				}
				return '_'
			}, part)
			if parts[i] == "" {
				parts[i] = "_"
			}
		}
	}
	return prefix + "." + slug + "." + strings.Join(parts, ".")
}

// jetStream connects to NATS and makes sure of the stream, once per
// connection.
func (p *Publisher) jetStream(ctx context.Context) (jetstream.JetStream, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nc == nil {
		opts := []nats.Option{nats.Name("ciam events"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
			// Nothing is buffered while disconnected: a publish fails at
			// once and is made again, in order, once NATS is back.
			nats.ReconnectBufSize(-1),
			nats.Timeout(5 * time.Second)}
		if p.cfg.CredsFile != "" {
			opts = append(opts, nats.UserCredentials(p.cfg.CredsFile))
		}
		nc, err := nats.Connect(p.cfg.URL, opts...)
		if err != nil {
			return nil, fmt.Errorf("%w: connect: %w", errNATS, err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("%w: %w", errNATS, err)
		}
		p.nc, p.js, p.ready = nc, js, false
	}
	if !p.ready {
		if err := p.ensureStream(ctx); err != nil {
			return nil, fmt.Errorf("%w: stream %s: %w", errNATS, p.cfg.Stream, err)
		}
		p.ready = true
	}
	return p.js, nil
}

// ensureStream makes the stream when it is missing and otherwise makes
// sure it takes the subjects and has the duplicate window, leaving what
// an operator set on it (replicas, limits, retention) as it is.
func (p *Publisher) ensureStream(ctx context.Context) error {
	subjects := p.cfg.SubjectPrefix + ".>"
	s, err := p.js.Stream(ctx, p.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = p.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        p.cfg.Stream,
			Description: "ciam business events, from the outbox",
			Subjects:    []string{subjects},
			Storage:     jetstream.FileStorage,
			Duplicates:  p.DuplicateWindow,
		})
		return err
	}
	if err != nil {
		return err
	}
	cfg := s.CachedInfo().Config
	if slices.Contains(cfg.Subjects, subjects) && cfg.Duplicates >= p.DuplicateWindow {
		return nil
	}
	if !slices.Contains(cfg.Subjects, subjects) {
		cfg.Subjects = append(cfg.Subjects, subjects)
	}
	cfg.Duplicates = max(cfg.Duplicates, p.DuplicateWindow)
	_, err = p.js.UpdateStream(ctx, cfg)
	return err
}

// noteOutcome warns once when NATS becomes unreachable and says when it is
// back, rather than once per retry.
func (p *Publisher) noteOutcome(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil && errors.Is(err, errNATS):
		if !p.down {
			p.logger.Warn("NATS is unreachable: events wait in the outbox and are published once it is back",
				slog.String("url", p.cfg.URL), slog.String("stream", p.cfg.Stream), slog.Any("error", err))
		}
		p.down = true
		// The stream is checked again after the outage: it may have been
		// made anew.
		p.ready = false
	case err != nil:
		p.logger.Warn("events could not be published to NATS", slog.Any("error", err))
	case p.down:
		p.down = false
		p.logger.Info("NATS is reachable again: publishing the events that waited", slog.String("stream", p.cfg.Stream))
	}
}
