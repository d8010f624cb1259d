package event

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/metrics"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/telemetry"
)

// Queue is the job queue webhook deliveries run on.
const Queue = "webhooks"

// PumpArgs is the periodic job that queues a delivery job for every
// delivery not yet queued.
type PumpArgs struct{}

// Kind names the job.
func (PumpArgs) Kind() string { return "webhook.pump" }

// DeliverArgs is one delivery attempt's job.
type DeliverArgs struct {
	TenantID   uuid.UUID `json:"tenantId"`
	DeliveryID uuid.UUID `json:"deliveryId"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "webhook.deliver" }

// PumpWorker queues delivery jobs, in the same transaction that marks the
// deliveries queued: none is queued twice, none forgotten.
type PumpWorker struct {
	river.WorkerDefaults[PumpArgs]
	W *Webhooks
}

// Work runs one pass.
func (p *PumpWorker) Work(ctx context.Context, job *river.Job[PumpArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	_, err := p.W.Pump(ctx, client)
	return err
}

// Pump queues delivery jobs for unqueued deliveries with client and says
// how many.
func (w *Webhooks) Pump(ctx context.Context, client *river.Client[pgx.Tx]) (int, error) {
	var tenants []uuid.UUID
	err := db.InTx(ctx, w.pool, func(q *db.Queries) error {
		var err error
		tenants, err = q.TenantsWithUnqueuedDeliveries(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("event: pump: %w", err)
	}
	total := 0
	for _, tenant := range tenants {
		err := db.InTenantTxPgx(ctx, w.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
			rows, err := q.UnqueuedDeliveries(ctx, db.UnqueuedDeliveriesParams{TenantID: tenant, MaxRows: 500})
			if err != nil || len(rows) == 0 {
				return err
			}
			ids := make([]uuid.UUID, len(rows))
			params := make([]river.InsertManyParams, 0, len(rows))
			for i, d := range rows {
				ids[i] = d.ID
				// The delivery job continues the trace of the request that
				// made the delivery, not the pump's.
				params = append(params, river.InsertManyParams{Args: DeliverArgs{TenantID: tenant, DeliveryID: d.ID},
					InsertOpts: &river.InsertOpts{Queue: Queue, MaxAttempts: w.MaxAttempts, Metadata: telemetry.JobMetadata(d.Traceparent)}})
			}
			if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
				return err
			}
			total += len(ids)
			return q.MarkDeliveriesQueued(ctx, db.MarkDeliveriesQueuedParams{TenantID: tenant, Ids: ids})
		})
		if err != nil {
			return total, fmt.Errorf("event: pump tenant %s: %w", tenant, err)
		}
	}
	return total, nil
}

// DeliverWorker sends one delivery, signed; a failure is retried by the
// queue with exponential back-off until MaxAttempts, then it is dead.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	W      *Webhooks
	Logger *slog.Logger
	// Metrics counts the attempts by outcome; nil counts nothing.
	Metrics *metrics.Metrics
	// client is built once, on first use, by whichever delivery comes
	// first: deliveries run concurrently.
	clientOnce sync.Once
	client     *http.Client
}

// NextRetry doubles the delay from W.RetryBase, capped at an hour.
func (d *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	delay := d.W.RetryBase << min(job.Attempt-1, 20)
	if delay > time.Hour || delay <= 0 {
		delay = time.Hour
	}
	return time.Now().Add(delay)
}

// Timeout bounds a whole attempt.
func (d *DeliverWorker) Timeout(job *river.Job[DeliverArgs]) time.Duration {
	return d.W.Timeout + 5*time.Second
}

func (d *DeliverWorker) httpClient() *http.Client {
	d.clientOnce.Do(d.buildClient)
	return d.client
}

func (d *DeliverWorker) buildClient() {
	if d.client != nil {
		return
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		if d.W.AllowPrivateNetworks {
			return nil
		}
		return checkDial(address)
	}}
	d.client = &http.Client{
		Timeout: d.W.Timeout,
		Transport: &telemetry.Transport{Name: "webhook.send", Base: &http.Transport{DialContext: dialer.DialContext,
			TLSHandshakeTimeout: 5 * time.Second, MaxIdleConnsPerHost: 4}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Body is what a webhook carries.
type Body struct {
	Event      string          `json:"event"`
	EventID    uuid.UUID       `json:"eventId"`
	Version    int32           `json:"version"`
	OccurredAt time.Time       `json:"occurredAt"`
	TenantID   uuid.UUID       `json:"tenantId"`
	Data       json.RawMessage `json:"data"`
}

// Work makes one attempt.
func (d *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	a := job.Args
	var row db.WebhookDeliveryForWorkRow
	err := db.InTenantTx(ctx, d.W.pool, a.TenantID, func(q *db.Queries) error {
		var err error
		row, err = q.WebhookDeliveryForWork(ctx, db.WebhookDeliveryForWorkParams{TenantID: a.TenantID, ID: a.DeliveryID})
		if err != nil {
			return err
		}
		// The subscriber gets the customer's values, or "erased".
		row.EventPayload, err = shred.Installed().Opener(q, a.TenantID).JSON(ctx, row.EventPayload)
		return err
	})
	if db.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("delivery %s no longer exists", a.DeliveryID))
	}
	if err != nil {
		return err
	}
	if row.Status != "PENDING" {
		return nil
	}
	record := func(status string, code *int32, msg string) error {
		d.Metrics.WebhookDelivery(status)
		return db.InTenantTx(context.WithoutCancel(ctx), d.W.pool, a.TenantID, func(q *db.Queries) error {
			return q.RecordWebhookAttempt(ctx, db.RecordWebhookAttemptParams{TenantID: a.TenantID, ID: a.DeliveryID, Status: status, LastStatusCode: code, LastError: msg})
		})
	}
	// A delivery parked by an open breaker comes back as a new job, its
	// attempts counted from one again: the delivery's own count decides.
	attempt := max(job.Attempt, int(row.Attempts)+1)
	fail := func(code *int32, msg string) error {
		status := "PENDING"
		if attempt >= job.MaxAttempts {
			status = "DEAD"
		}
		if err := record(status, code, msg); err != nil {
			return err
		}
		if status == "DEAD" {
			return river.JobCancel(fmt.Errorf("webhook dead after %d attempts: %s", attempt, msg))
		}
		return fmt.Errorf("webhook attempt %d: %s", attempt, msg)
	}
	if row.SubscriptionStatus != "ACTIVE" {
		return fail(nil, "the subscription is disabled")
	}
	secret, err := d.W.crypt.Open(row.Secret, d.W.aad(row.SubscriptionID))
	if err != nil {
		return fail(nil, "the subscription's secret cannot be opened")
	}
	body, err := json.Marshal(Body{Event: row.EventType, EventID: row.EventID, Version: row.EventVersion,
		OccurredAt: row.EventOccurredAt.UTC(), TenantID: a.TenantID, Data: row.EventPayload})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, row.Url, bytes.NewReader(body))
	if err != nil {
		return fail(nil, "the URL is not valid")
	}
	// An open breaker: the endpoint is not tried, the delivery waits.
	ok, trial, err := d.W.admit(ctx, a.TenantID, row.SubscriptionID, row.BreakerOpenUntil)
	if err != nil {
		return err
	}
	if !ok {
		return d.W.park(ctx, a.TenantID, a.DeliveryID)
	}
	// The endpoint's failures count towards its breaker; any other answer
	// shows it up.
	endpointFailed := func(code *int32, msg string) error {
		if err := d.W.breakerFailed(ctx, a.TenantID, row.SubscriptionID, trial, msg); err != nil {
			d.Logger.ErrorContext(ctx, "webhook breaker", "subscription", row.SubscriptionID, "error", err)
		}
		return fail(code, msg)
	}
	endpointUp := func() {
		if err := d.W.breakerSucceeded(ctx, a.TenantID, row.SubscriptionID); err != nil {
			d.Logger.ErrorContext(ctx, "webhook breaker", "subscription", row.SubscriptionID, "error", err)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ciam-webhooks/1")
	req.Header.Set("X-Event-ID", row.EventID.String())
	req.Header.Set("X-Event-Type", row.EventType)
	req.Header.Set("X-Delivery-ID", row.ID.String())
	req.Header.Set("X-Signature", Sign(string(secret), time.Now(), body))
	resp, err := d.httpClient().Do(req)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, errPrivate) {
			msg = errPrivate.Error()
		}
		return endpointFailed(nil, msg)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := int32(resp.StatusCode)
	msg := fmt.Sprintf("the receiver answered %d", resp.StatusCode)
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return endpointFailed(&code, msg)
	}
	endpointUp()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return record("DELIVERED", &code, "")
	}
	return fail(&code, msg)
}
