package event

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// A subscription's circuit breaker keeps a failing endpoint from holding
// the workers: after BreakerThreshold consecutive failures its deliveries
// stop being attempted until the back-off has passed, then one trial goes
// out. Its state is in the subscription's row, shared by every server.

// breakerBackOff is how long a breaker that opened opened times in a row
// stays open: BreakerBase doubling up to BreakerCap, less up to a fifth at
// random so that endpoints paused together do not all come back at once.
func (w *Webhooks) breakerBackOff(opened int32) time.Duration {
	d := w.BreakerBase << min(max(opened, 0), 20)
	if d > w.BreakerCap || d <= 0 {
		d = w.BreakerCap
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// breakerCtx names the breaker as the actor of what it audits.
func breakerCtx(ctx context.Context, tenant uuid.UUID) context.Context {
	return actor.With(context.WithoutCancel(ctx), actor.Actor{Kind: actor.System, Name: "webhook circuit breaker", TenantID: tenant})
}

// admit says whether a delivery to a subscription whose breaker is open
// until openUntil may go out, and whether it is the half-open breaker's
// trial. A closed breaker (openUntil nil) admits without a look at the
// database.
func (w *Webhooks) admit(ctx context.Context, tenant, subscription uuid.UUID, openUntil *time.Time) (ok, trial bool, err error) {
	if openUntil == nil {
		return true, false, nil
	}
	var claimed int64
	err = db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		var err error
		claimed, err = q.ClaimWebhookBreakerTrial(ctx, db.ClaimWebhookBreakerTrialParams{TenantID: tenant, ID: subscription,
			LeaseSeconds: (w.Timeout + 10*time.Second).Seconds()})
		return err
	})
	if err != nil {
		return false, false, fmt.Errorf("event: breaker trial: %w", err)
	}
	return claimed == 1, claimed == 1, nil
}

// park puts back a delivery that met an open breaker: it waits unqueued,
// its attempts unspent, and the pump queues it again once the breaker
// lets deliveries through.
func (w *Webhooks) park(ctx context.Context, tenant, delivery uuid.UUID) error {
	err := db.InTenantTx(context.WithoutCancel(ctx), w.pool, tenant, func(q *db.Queries) error {
		return q.ParkWebhookDelivery(ctx, db.ParkWebhookDeliveryParams{TenantID: tenant, ID: delivery})
	})
	if err != nil {
		return fmt.Errorf("event: park delivery: %w", err)
	}
	return nil
}

// breakerSucceeded closes a subscription's breaker after an answer that
// shows the endpoint is up; a breaker that was open is audited as resumed.
func (w *Webhooks) breakerSucceeded(ctx context.Context, tenant, subscription uuid.UUID) error {
	ctx = breakerCtx(ctx, tenant)
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		wasOpen, err := q.CloseWebhookBreaker(ctx, db.CloseWebhookBreakerParams{TenantID: tenant, ID: subscription})
		if db.IsNotFound(err) || (err == nil && !wasOpen) {
			return nil // it was closed already
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.subscription.resumed", EntityType: "webhook_subscription",
			EntityID: subscription.String(), After: map[string]any{"breaker": "closed"}})
	})
	if err != nil {
		return fmt.Errorf("event: close breaker: %w", err)
	}
	return nil
}

// breakerFailed counts a failure of the endpoint (no connection, a
// time-out, 5xx or 429). The threshold's failure, or a failed trial, opens
// the breaker for a back-off longer each time, audited as paused.
func (w *Webhooks) breakerFailed(ctx context.Context, tenant, subscription uuid.UUID, trial bool, msg string) error {
	ctx = breakerCtx(ctx, tenant)
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		b, err := q.LockWebhookBreaker(ctx, db.LockWebhookBreakerParams{TenantID: tenant, ID: subscription})
		if err != nil {
			return err
		}
		if !trial && (b.BreakerOpenUntil != nil || int(b.BreakerFailures)+1 < w.BreakerThreshold) {
			return q.CountWebhookFailure(ctx, db.CountWebhookFailureParams{TenantID: tenant, ID: subscription, LastError: msg})
		}
		back := w.breakerBackOff(b.BreakerOpened)
		o, err := q.OpenWebhookBreaker(ctx, db.OpenWebhookBreakerParams{TenantID: tenant, ID: subscription, LastError: msg, BackOffSeconds: back.Seconds()})
		if err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.subscription.paused", EntityType: "webhook_subscription",
			EntityID: subscription.String(), Before: map[string]any{"breaker": map[bool]string{true: "half-open", false: "closed"}[trial]},
			After: map[string]any{"breaker": "open", "failures": o.BreakerFailures, "openUntil": o.BreakerOpenUntil, "lastError": msg,
				"backOffSeconds": int(back.Seconds())}})
	})
	if err != nil {
		return fmt.Errorf("event: count breaker failure: %w", err)
	}
	return nil
}

// RetryNow half-opens a paused subscription's breaker at once: its next
// delivery is the trial.
func (w *Webhooks) RetryNow(ctx context.Context, tenant, subscription uuid.UUID) error {
	err := db.InTenantTx(ctx, w.pool, tenant, func(q *db.Queries) error {
		before, err := q.WebhookSubscription(ctx, db.WebhookSubscriptionParams{TenantID: tenant, ID: subscription})
		if err != nil {
			return err
		}
		if before.BreakerOpenUntil == nil {
			return apperr.New(apperr.Conflict, "the endpoint is not paused")
		}
		if _, err := q.HalfOpenWebhookBreaker(ctx, db.HalfOpenWebhookBreakerParams{TenantID: tenant, ID: subscription}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "webhook.subscription.retried", EntityType: "webhook_subscription",
			EntityID: subscription.String(), Before: map[string]any{"breaker": "open", "openUntil": before.BreakerOpenUntil, "failures": before.BreakerFailures},
			After: map[string]any{"breaker": "half-open"}})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such webhook subscription")
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("event: retry now: %w", err)
	}
	return nil
}
