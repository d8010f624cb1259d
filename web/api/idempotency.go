package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
)

// How long a duplicate waits for the first request with its key, and how
// long the key stays claimed if its first request never finished (a crash).
const (
	idempotencyWait  = 15 * time.Second
	idempotencyStale = 5 * time.Minute
)

// IdempotencyKeep is how long a finished request's answer is kept for its
// repeats: after it the key is free again, and the retention run deletes
// the record.
const IdempotencyKeep = 24 * time.Hour

// replayedHeaders are the response headers a replay repeats.
var replayedHeaders = []string{"Content-Type", "Location"}

// captureWriter keeps a copy of the response for the idempotency record.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Idempotent makes a POST honour Idempotency-Key: the first request with a
// key runs; a repeat with the same body gets the first response again with
// Idempotent-Replayed: true; the same key with another body is 422
// IDEMPOTENCY_KEY_REUSED. Concurrent duplicates wait for the first, so
// exactly one runs. limit bounds the body.
//
// A key belongs to its caller (an API client or a customer): another
// caller's request with the same key is a request of its own. An anonymous
// caller (a tenant-public route such as sign-in) has nobody to own a key,
// so its key is not stored at all and its requests simply run.
func (a *API) Idempotent(limit int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		p, _ := PrincipalFrom(r.Context())
		if key == "" || idempotencyCaller(p) == "" {
			h.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			a.WriteError(w, r, apperr.Validation(apperr.FieldError{Field: "Idempotency-Key", Issue: "must be at most 255 characters"}))
			return
		}
		// The body is spooled to disk as it is hashed, so a large upload
		// with a key costs no more memory than one without.
		sw, err := newSpool(limit)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if _, err := io.Copy(sw, http.MaxBytesReader(w, r.Body, limit)); err != nil {
			sw.discard()
			a.WriteError(w, r, tooLarge(limit))
			return
		}
		blob, err := sw.blob()
		if err != nil {
			sw.discard()
			a.WriteError(w, r, err)
			return
		}
		defer blob.Close()
		r.Body = io.NopCloser(blob.File)
		hash := sha256.New()
		for _, part := range []string{r.Method, r.URL.Path, p.Kind, p.ClientID.String(), p.CustomerID.String()} {
			hash.Write([]byte(part))
			hash.Write([]byte{0})
		}
		hash.Write(blob.SHA256)
		sum := hash.Sum(nil)

		ctx := r.Context()
		claimed, err := a.claim(ctx, p, key, sum)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if !claimed {
			a.replay(w, r, p, key, sum)
			return
		}
		cw := &captureWriter{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed {
				// The handler panicked: let the key be used again.
				a.release(context.WithoutCancel(ctx), p, key)
			}
		}()
		h.ServeHTTP(cw, r)
		completed = true
		if cw.status >= 500 {
			a.release(context.WithoutCancel(ctx), p, key)
			return
		}
		headers := map[string]string{}
		for _, name := range replayedHeaders {
			if v := cw.Header().Get(name); v != "" {
				headers[name] = v
			}
		}
		hb, _ := json.Marshal(headers)
		// Responses may carry tokens or secrets shown once: stored sealed.
		stored := a.Crypt.Seal(cw.body.Bytes(), idempotencyAAD(p, key))
		err = db.InTenantTx(context.WithoutCancel(ctx), a.Pool, p.TenantID, func(q *db.Queries) error {
			return q.CompleteIdempotencyKey(ctx, db.CompleteIdempotencyKeyParams{TenantID: p.TenantID, Caller: idempotencyCaller(p), Key: key,
				StatusCode: int32p(cw.status), ResponseHeaders: hb, ResponseBody: stored})
		})
		if err != nil {
			a.Logger.ErrorContext(ctx, "store idempotent response", "error", err)
		}
	})
}

// idempotencyCaller names who owns an Idempotency-Key; empty for an
// anonymous caller, whose keys are not stored.
func idempotencyCaller(p Principal) string {
	switch {
	case p.Kind == credential.KindClient && p.ClientID != uuid.Nil:
		return "client:" + p.ClientID.String()
	case p.Kind == credential.KindCustomer && p.CustomerID != uuid.Nil:
		return "customer:" + p.CustomerID.String()
	}
	return ""
}

func idempotencyAAD(p Principal, key string) []byte {
	return []byte("idempotency:" + p.TenantID.String() + ":" + idempotencyCaller(p) + ":" + key)
}

func int32p(v int) *int32 {
	n := int32(v)
	return &n
}

func (a *API) claim(ctx context.Context, p Principal, key string, sum []byte) (bool, error) {
	var n int64
	err := db.InTenantTx(ctx, a.Pool, p.TenantID, func(q *db.Queries) error {
		var err error
		n, err = q.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{TenantID: p.TenantID, Caller: idempotencyCaller(p), Key: key, RequestHash: sum,
			ExpiredBefore: time.Now().Add(-IdempotencyKeep)})
		return err
	})
	return n == 1, err
}

func (a *API) release(ctx context.Context, p Principal, key string) {
	_ = db.InTenantTx(ctx, a.Pool, p.TenantID, func(q *db.Queries) error {
		return q.ReleaseIdempotencyKey(ctx, db.ReleaseIdempotencyKeyParams{TenantID: p.TenantID, Caller: idempotencyCaller(p), Key: key})
	})
}

// replay answers a repeat: the stored response once the first request is
// done.
func (a *API) replay(w http.ResponseWriter, r *http.Request, p Principal, key string, sum []byte) {
	ctx := r.Context()
	deadline := time.Now().Add(idempotencyWait)
	for {
		var rec db.IdempotencyKey
		err := db.InTenantTx(ctx, a.Pool, p.TenantID, func(q *db.Queries) error {
			var err error
			rec, err = q.IdempotencyKey(ctx, db.IdempotencyKeyParams{TenantID: p.TenantID, Caller: idempotencyCaller(p), Key: key})
			return err
		})
		if db.IsNotFound(err) {
			// The first request failed and let the key go: this one runs.
			a.WriteError(w, r, apperr.New(apperr.Conflict, "the first request with this Idempotency-Key failed; send it again").WithAPI("IDEMPOTENCY_KEY_RETRY"))
			return
		}
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if !bytes.Equal(rec.RequestHash, sum) {
			a.WriteError(w, r, apperr.New(apperr.Invalid, "this Idempotency-Key was used with another request").WithAPI("IDEMPOTENCY_KEY_REUSED"))
			return
		}
		if rec.State == "DONE" && rec.StatusCode != nil {
			body, err := a.Crypt.Open(rec.ResponseBody, idempotencyAAD(p, key))
			if err != nil {
				a.WriteError(w, r, fmt.Errorf("api: idempotent response: %w", err))
				return
			}
			var headers map[string]string
			_ = json.Unmarshal(rec.ResponseHeaders, &headers)
			for k, v := range headers {
				w.Header().Set(k, v)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(int(*rec.StatusCode))
			_, _ = w.Write(body)
			return
		}
		if time.Since(rec.CreatedAt) > idempotencyStale {
			a.release(ctx, p, key)
		}
		if time.Now().After(deadline) {
			a.WriteError(w, r, apperr.New(apperr.Conflict, "a request with this Idempotency-Key is still being processed").WithAPI("IDEMPOTENCY_KEY_IN_USE"))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}
