package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/views/webhooks"
)

func (s *server) webhooksPage(w http.ResponseWriter, r *http.Request, status int, form webhooks.Form, secret, secretFor string) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	subs, err := s.Webhooks.Subscriptions(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := webhooks.Page{EventTypes: event.KnownEventTypes, Form: form, Secret: secret, SecretFor: secretFor, Loc: t.Location(), Now: s.Now()}
	for _, sub := range subs {
		p.Subscriptions = append(p.Subscriptions, subscriptionView(sub))
	}
	s.page(w, r, status, "Webhooks", "webhooks", webhooks.List(p))
}

func subscriptionView(sub event.Subscription) webhooks.Subscription {
	return webhooks.Subscription{ID: sub.ID.String(), URL: sub.URL, Description: sub.Description, EventTypes: sub.EventTypes,
		Status: sub.Status, CreatedAt: sub.CreatedAt, Breaker: sub.Breaker, PausedUntil: sub.PausedUntil,
		BreakerFailures: sub.BreakerFailures, BreakerLastError: sub.BreakerLastError}
}

func emptyWebhookForm() webhooks.Form {
	return webhooks.Form{Types: map[string]bool{}, Errors: map[string]string{}}
}

// webhookSecret is a new signing secret waiting to be shown once.
type webhookSecret struct{ Secret, For string }

func (s *server) handleWebhookList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rv webhookSecret
		if _, err := s.takeReveal(r.Context(), revealWebhook, &rv); err != nil {
			s.fail(w, r, err)
			return
		}
		s.webhooksPage(w, r, http.StatusOK, emptyWebhookForm(), rv.Secret, rv.For)
	})
}

func (s *server) handleWebhookCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		form := webhooks.Form{URL: r.PostForm.Get("url"), Description: r.PostForm.Get("description"), Types: map[string]bool{}, Errors: map[string]string{}}
		for _, t := range r.PostForm["eventTypes"] {
			form.Types[t] = true
		}
		sub, secret, err := s.Webhooks.CreateSubscription(r.Context(), emp.TenantID, form.URL, form.Description, r.PostForm["eventTypes"])
		if fieldErrors(err, form.Errors) {
			s.webhooksPage(w, r, http.StatusUnprocessableEntity, form, "", "")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// The signing secret is shown once by the list, from a sealed
		// one-time reveal: a reload makes no second subscription.
		if err := s.putReveal(r.Context(), revealWebhook, webhookSecret{Secret: secret, For: sub.URL}); err != nil {
			s.fail(w, r, err)
			return
		}
		s.seeOther(w, r, "/webhooks")
	})
}

func (s *server) webhookID(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "no such webhook subscription"))
		return uuid.Nil, false
	}
	return id, true
}

func (s *server) handleWebhookShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, ok := s.webhookID(w, r)
		if !ok {
			return
		}
		sub, err := s.Webhooks.Subscription(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t, err := s.Tenants.Get(r.Context(), emp.TenantID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ds, err := s.Webhooks.Deliveries(r.Context(), emp.TenantID, id, 100)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := webhooks.Detail{Subscription: subscriptionView(sub), Loc: t.Location(), Now: s.Now()}
		for _, x := range ds {
			d.Deliveries = append(d.Deliveries, webhooks.Delivery{ID: x.ID.String(), EventID: x.EventID.String(), EventType: x.EventType,
				Status: x.Status, Attempts: x.Attempts, LastStatusCode: x.LastStatusCode, LastError: x.LastError,
				LastAttemptAt: x.LastAttemptAt, CreatedAt: x.CreatedAt, Resend: x.ResendOf != nil})
		}
		s.page(w, r, http.StatusOK, "Webhook", "webhooks", webhooks.DetailPage(d))
	})
}

func (s *server) handleWebhookStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, ok := s.webhookID(w, r)
		if !ok {
			return
		}
		if !s.readForm(w, r) {
			return
		}
		if err := s.Webhooks.SetStatus(r.Context(), emp.TenantID, id, r.PostForm.Get("status")); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The endpoint is now "+r.PostForm.Get("status")+".")
		s.seeOther(w, r, "/webhooks/"+id.String())
	})
}

func (s *server) handleWebhookResend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, ok := s.webhookID(w, r)
		if !ok {
			return
		}
		did, err := pathID(r, "delivery", "delivery")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Webhooks.Resend(r.Context(), emp.TenantID, did); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The event will be delivered again, with the same event id.")
		s.seeOther(w, r, "/webhooks/"+id.String())
	})
}

// handleWebhookRetry half-opens a paused endpoint's breaker: its next
// delivery goes out at once, as the trial.
func (s *server) handleWebhookRetry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, ok := s.webhookID(w, r)
		if !ok {
			return
		}
		if err := s.Webhooks.RetryNow(r.Context(), emp.TenantID, id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The next delivery to this endpoint goes out now, as a trial.")
		s.seeOther(w, r, "/webhooks/"+id.String())
	})
}
