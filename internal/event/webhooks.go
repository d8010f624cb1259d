package event

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Subscription is a tenant's webhook endpoint.
type Subscription struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	URL         string
	Description string
	EventTypes  []string
	Status      string
	CreatedAt   time.Time
	// Breaker is the circuit breaker's state: "closed", "open" (paused
	// until PausedUntil) or "half-open" (the next delivery is a trial).
	Breaker          string
	PausedUntil      *time.Time
	BreakerFailures  int
	BreakerLastError string
}

// Delivery is one event's delivery to one subscription.
type Delivery struct {
	ID             uuid.UUID
	SubscriptionID uuid.UUID
	EventID        uuid.UUID
	EventType      string
	Status         string
	Attempts       int
	LastStatusCode int
	LastError      string
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	ResendOf       *uuid.UUID
}

// Webhooks manages subscriptions and delivers events to them.
type Webhooks struct {
	pool  *pgxpool.Pool
	crypt *fieldcrypt.Keys
	// AllowPrivateNetworks lets subscriptions point at loopback and private
	// addresses (development and tests); production refuses them, so that
	// a subscription cannot be used to reach internal services.
	AllowPrivateNetworks bool
	// RetryBase is the first retry's delay; each later one doubles, capped
	// at an hour.
	RetryBase time.Duration
	// MaxAttempts is how many times a delivery is tried before it is dead.
	MaxAttempts int
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
	// BreakerThreshold is how many consecutive failures of an endpoint
	// pause its subscription.
	BreakerThreshold int
	// BreakerBase is how long the first pause lasts; each one after a
	// failed trial doubles, capped at BreakerCap.
	BreakerBase time.Duration
	BreakerCap  time.Duration
}

// NewWebhooks returns the webhook service.
func NewWebhooks(pool *pgxpool.Pool, crypt *fieldcrypt.Keys) *Webhooks {
	return &Webhooks{pool: pool, crypt: crypt, RetryBase: 10 * time.Second, MaxAttempts: 10, Timeout: 10 * time.Second,
		BreakerThreshold: 5, BreakerBase: 30 * time.Second, BreakerCap: 30 * time.Minute}
}

func subFrom(r db.WebhookSubscription) Subscription {
	s := Subscription{ID: r.ID, TenantID: r.TenantID, URL: r.Url, Description: r.Description, EventTypes: r.EventTypes,
		Status: r.Status, CreatedAt: r.CreatedAt, Breaker: "closed", BreakerFailures: int(r.BreakerFailures), BreakerLastError: r.BreakerLastError}
	if r.BreakerOpenUntil != nil {
		s.Breaker, s.PausedUntil = "open", r.BreakerOpenUntil
		if !r.BreakerOpenUntil.After(time.Now()) {
			s.Breaker = "half-open"
		}
	}
	return s
}

func (w *Webhooks) aad(id uuid.UUID) []byte { return SubscriptionAAD(id) }

// SubscriptionAAD binds a sealed subscription secret to its subscription.
func SubscriptionAAD(id uuid.UUID) []byte { return []byte("webhook_subscription:" + id.String()) }

// KnownEventTypes are the business events a subscription may pick.
var KnownEventTypes = []string{
	"customer.registered", "customer.email.verified", "customer.standing.changed", "customer.activated",
	"verification.status.changed", "screening.hit.created", "aml.alert.created", "aml.alert.escalated", "aml.alert.closed", "case.opened", "case.closed", "config.changed",
	"customer.otp.requested",
	"customer.welcome_email.requested",
	"customer-profile-updated",
	"screening.list.alert",
}

// CreateSubscription adds a subscription and returns its signing secret,
// shown this once.
func (w *Webhooks) CreateSubscription(ctx context.Context, tenant uuid.UUID, rawURL, description string, types []string) (Subscription, string, error) {
	rawURL = strings.TrimSpace(rawURL)
	var fe apperr.Fields
	if e, ok := apperr.As(w.checkURL(ctx, rawURL)); ok {
		fe = append(fe, e.Fields...)
	}
	if len([]rune(description)) > 200 {
		fe.Add("description", "must be at most 200 characters")
	}
	for _, t := range types {
		if !slices.Contains(KnownEventTypes, t) {
			fe.Add("eventTypes", "unknown event type %q", t)
		}
	}
	if err := fe.Err(); err != nil {
		return Subscription{}, "", err
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
	id := uuid.New()
	if types == nil {
		types = []string{}
	}
	var sub Subscription
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		row, err := q.CreateWebhookSubscription(ctx, db.CreateWebhookSubscriptionParams{ID: id, TenantID: tenant, Url: rawURL,
			Description: strings.TrimSpace(description), EventTypes: types, Secret: w.crypt.Seal([]byte(secret), w.aad(id))})
		if err != nil {
			return err
		}
		sub = subFrom(row)
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.subscription.created", EntityType: "webhook_subscription",
			EntityID: id.String(), After: map[string]any{"url": rawURL, "eventTypes": types}})
	})
	if err != nil {
		return Subscription{}, "", fmt.Errorf("event: create subscription: %w", err)
	}
	return sub, secret, nil
}

// Subscriptions lists the tenant's subscriptions.
func (w *Webhooks) Subscriptions(ctx context.Context, tenant uuid.UUID) ([]Subscription, error) {
	var out []Subscription
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListWebhookSubscriptions(ctx, tenant)
		for _, r := range rows {
			out = append(out, subFrom(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: subscriptions: %w", err)
	}
	return out, nil
}

// Subscription returns one subscription.
func (w *Webhooks) Subscription(ctx context.Context, tenant, id uuid.UUID) (Subscription, error) {
	var out Subscription
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		row, err := q.WebhookSubscription(ctx, db.WebhookSubscriptionParams{TenantID: tenant, ID: id})
		out = subFrom(row)
		return err
	})
	if db.IsNotFound(err) {
		return Subscription{}, apperr.New(apperr.NotFound, "no such webhook subscription")
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("event: subscription: %w", err)
	}
	return out, nil
}

// SetStatus enables or disables a subscription.
func (w *Webhooks) SetStatus(ctx context.Context, tenant, id uuid.UUID, status string) error {
	if status != "ACTIVE" && status != "DISABLED" {
		return apperr.Validation(apperr.FieldError{Field: "status", Issue: "must be ACTIVE or DISABLED"})
	}
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		before, err := q.WebhookSubscription(ctx, db.WebhookSubscriptionParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		if _, err := q.SetWebhookSubscriptionStatus(ctx, db.SetWebhookSubscriptionStatusParams{TenantID: tenant, ID: id, Status: status}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.subscription." + strings.ToLower(status), EntityType: "webhook_subscription",
			EntityID: id.String(), Before: map[string]any{"status": before.Status}, After: map[string]any{"status": status}})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such webhook subscription")
	}
	if err != nil {
		return fmt.Errorf("event: subscription status: %w", err)
	}
	return nil
}

// Deliveries lists a subscription's latest deliveries.
func (w *Webhooks) Deliveries(ctx context.Context, tenant, subscription uuid.UUID, limit int) ([]Delivery, error) {
	var out []Delivery
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListWebhookDeliveries(ctx, db.ListWebhookDeliveriesParams{TenantID: tenant, SubscriptionID: subscription, MaxRows: int32(limit)})
		for _, r := range rows {
			d := Delivery{ID: r.ID, SubscriptionID: r.SubscriptionID, EventID: r.EventID, EventType: r.EventType, Status: r.Status,
				Attempts: int(r.Attempts), LastError: r.LastError, LastAttemptAt: r.LastAttemptAt, DeliveredAt: r.DeliveredAt,
				CreatedAt: r.CreatedAt, ResendOf: r.ResendOf}
			if r.LastStatusCode != nil {
				d.LastStatusCode = int(*r.LastStatusCode)
			}
			out = append(out, d)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event: deliveries: %w", err)
	}
	return out, nil
}

// Sign is the X-Signature header of body sent at t with secret:
// t=<unix>,v1=<hex HMAC-SHA256 of "t.body">.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks an X-Signature header, accepting timestamps
// within tolerance of now: what a receiver does.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	at := time.Unix(n, 0)
	if now.Sub(at) > tolerance || at.Sub(now) > tolerance {
		return false
	}
	want := Sign(secret, at, body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}

// Resend delivers a delivery's event again, as a new delivery with the
// same event id (receivers de-duplicate on X-Event-ID).
func (w *Webhooks) Resend(ctx context.Context, tenant, deliveryID uuid.UUID) (Delivery, error) {
	var out Delivery
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		d, err := q.WebhookDelivery(ctx, db.WebhookDeliveryParams{TenantID: tenant, ID: deliveryID})
		if err != nil {
			return err
		}
		nd, err := q.CreateWebhookDelivery(ctx, db.CreateWebhookDeliveryParams{ID: uuid.New(), TenantID: tenant,
			SubscriptionID: d.SubscriptionID, EventID: d.EventID, ResendOf: &d.ID})
		if err != nil {
			return err
		}
		out = Delivery{ID: nd.ID, SubscriptionID: nd.SubscriptionID, EventID: nd.EventID, Status: nd.Status, CreatedAt: nd.CreatedAt, ResendOf: nd.ResendOf}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.delivery.resent", EntityType: "webhook_delivery",
			EntityID: nd.ID.String(), After: map[string]any{"resendOf": d.ID, "eventId": d.EventID}})
	})
	if db.IsNotFound(err) {
		return Delivery{}, apperr.New(apperr.NotFound, "no such delivery")
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("event: resend: %w", err)
	}
	return out, nil
}
