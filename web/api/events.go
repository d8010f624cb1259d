package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/apperr"
)

// HandleEvents is GET /events?after=<cursor>: the tenant's business events
// in order, to replay what webhooks delivered or to poll instead of them.
func (a *API) HandleEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		q := r.URL.Query()
		// A cursor is "s" and the number of the tenant's last event read
		// (its events are numbered 1, 2, 3, ... on their own); a plain
		// number is a cursor from before, a position among all tenants'
		// events, still honoured.
		var after int64
		if c := q.Get("after"); c != "" {
			digits, ours := strings.CutPrefix(c, "s")
			n, err := strconv.ParseInt(digits, 10, 64)
			if err != nil || n < 0 || digits == "" || digits[0] == '+' {
				a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "after", Issue: "must be a cursor from an earlier nextCursor"}))
				return
			}
			after = n
			if !ours {
				if after, err = a.Events.SeqAfterPosition(r.Context(), t.ID, n); err != nil {
					a.WriteError(w, r, err)
					return
				}
			}
		}
		limit := 100
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 || n > 500 {
				a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "limit", Issue: "must be a number from 1 to 500"}))
				return
			}
			limit = n
		}
		evs, err := a.Events.After(r.Context(), t.ID, after, limit)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		out := make([]map[string]any, 0, len(evs))
		next := after
		for _, e := range evs {
			out = append(out, map[string]any{"eventId": e.ID, "event": e.Type, "version": e.Version,
				"occurredAt": e.OccurredAt.UTC().Format(time.RFC3339Nano), "data": json.RawMessage(e.Payload),
				"entity": map[string]string{"type": e.EntityType, "id": e.EntityID}})
			next = e.Seq
		}
		WriteJSON(w, http.StatusOK, Envelope{Data: out, NextCursor: "s" + strconv.FormatInt(next, 10)})
	})
}

func init() {
	Document("GET "+Prefix+"/events", Operation{
		Tag: "Events", Summary: "Replay the tenant's business events",
		Description: "Oldest first after the cursor. nextCursor is always set: pass it as after to continue, or later to poll for new events. A cursor counts the tenant's own events only (s3 is after the tenant's third event), and events are numbered in the order they commit, so polling from the last nextCursor misses none; a plain number, a cursor given before tenants' events were numbered on their own, is still accepted and resumes where it did (an event already read may come again: de-duplicate by eventId). The same events are delivered to webhook subscriptions, signed (X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\">) with X-Event-ID for de-duplication. A one-time code (customer.otp.requested) goes only to webhook subscribers, the route to the customer: its replay here leaves the code out.",
		Query: []Param{
			{Name: "after", Schema: str(""), Doc: "cursor from an earlier nextCursor; from the start when omitted"},
			{Name: "limit", Schema: integer(""), Doc: "1 to 500, default 100"},
		},
		Response: array(obj(map[string]any{
			"eventId": uuidStr("use it to de-duplicate"), "event": str("e.g. verification.status.changed"), "version": integer("schema version"),
			"occurredAt": str("RFC 3339"), "data": map[string]any{"type": "object"},
			"entity": obj(map[string]any{"type": str(""), "id": str("")}),
		})),
		Errors: []int{422},
	})
}
