package web

import (
	"context"
	"encoding/gob"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/sessions"

	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/config"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/internal/telemetry"
	"github.com/ciamhq/ciam/views/layout"
)

const (
	sessionCookie = "ciam_session"
	authCookie    = "ciam_auth" // state, nonce and PKCE verifier of a sign-in under way
	authFlowTTL   = 10 * time.Minute
	// The idle clock is written back at most this often, to spare a
	// Set-Cookie on every request.
	touchEvery = time.Minute
)

// Session values.
const (
	keyStaff      = "staff"
	keyTenant     = "tenant"
	keyGroupRoles = "group_roles"
	keyIssued     = "issued"
	keySeen       = "seen"
	// keySession is the id of the server-side session (staff_sessions),
	// checked on every request.
	keySession = "sid"
)

func init() {
	gob.Register(layout.Flash{})
}

func newSessionStore(c config.Config) *sessions.CookieStore {
	var pairs [][]byte
	for _, k := range c.SessionKeys {
		pairs = append(pairs, k.Hash, k.Block)
	}
	store := sessions.NewCookieStore(pairs...)
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(c.SessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.Secure(),
		SameSite: http.SameSiteLaxMode,
	}
	store.MaxAge(int(c.SessionMaxAge.Seconds()))
	return store
}

type employeeKey struct{}

type sessionIDKey struct{}

// sessionIDFrom is the id of the request's server-side session.
func sessionIDFrom(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(sessionIDKey{}).(uuid.UUID)
	return id
}

func employeeFrom(ctx context.Context) (staff.Employee, bool) {
	e, ok := ctx.Value(employeeKey{}).(staff.Employee)
	return e, ok
}

// Reasons the sign-in page explains.
const (
	reasonExpired   = "expired"
	reasonInvalid   = "invalid"
	reasonSignedOut = "signed_out"
	reasonEnded     = "ended"
)

// requireSession admits requests with a valid, live session, loading the
// employee with the roles in force now; others go to sign-in.
func (s *server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, cookieErr := r.Cookie(sessionCookie)
		sess, err := s.store.Get(r, sessionCookie)
		if err != nil || sess.IsNew {
			reason := ""
			if cookieErr == nil {
				// A cookie was sent but did not decode: forged, from old
				// keys, or past its maximum age.
				reason = reasonInvalid
				if isExpired(err) {
					reason = reasonExpired
				}
				s.Logger.InfoContext(r.Context(), "session cookie refused", slog.String("reason", reason), slog.Any("error", err))
				s.clearCookie(w, sessionCookie)
			}
			s.toSignIn(w, r, reason)
			return
		}
		now := s.Now()
		issued, _ := sess.Values[keyIssued].(int64)
		seen, _ := sess.Values[keySeen].(int64)
		if now.Sub(time.Unix(issued, 0)) > s.Config.SessionMaxAge || now.Sub(time.Unix(seen, 0)) > s.Config.SessionIdle {
			s.clearCookie(w, sessionCookie)
			s.toSignIn(w, r, reasonExpired)
			return
		}
		staffID, err1 := uuid.Parse(str(sess.Values[keyStaff]))
		tenantID, err2 := uuid.Parse(str(sess.Values[keyTenant]))
		sessionID, err3 := uuid.Parse(str(sess.Values[keySession]))
		if err1 != nil || err2 != nil || err3 != nil {
			s.clearCookie(w, sessionCookie)
			s.toSignIn(w, r, reasonInvalid)
			return
		}
		telemetry.SetTenant(r.Context(), tenantID)
		var groupRoles []staff.Role
		for _, r := range strings.Fields(str(sess.Values[keyGroupRoles])) {
			groupRoles = append(groupRoles, staff.Role(r))
		}
		emp, err := s.Staff.Resume(r.Context(), tenantID, staffID, sessionID, groupRoles, now, touchEvery)
		if err != nil {
			switch apperr.CodeOf(err) {
			case apperr.Unauthenticated:
				// Signed out, or ended by an administrator, a deactivation
				// or a role removal: every copy of the cookie stops here.
				s.clearCookie(w, sessionCookie)
				s.toSignIn(w, r, reasonEnded)
				return
			case apperr.NotFound, apperr.Forbidden:
				// Deactivated or removed since sign-in: the session ends now.
				s.clearCookie(w, sessionCookie)
				s.toSignIn(w, r, reasonInvalid)
				return
			}
			s.fail(w, r, err)
			return
		}
		if now.Sub(time.Unix(seen, 0)) > touchEvery {
			sess.Values[keySeen] = now.Unix()
			if err := sess.Save(r, w); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		ctx := context.WithValue(r.Context(), employeeKey{}, emp)
		ctx = context.WithValue(ctx, sessionIDKey{}, sessionID)
		ctx = actor.With(ctx, emp.Actor())
		ctx = staff.WithActingRoles(ctx, emp.AllRoles())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func isExpired(err error) bool {
	// securecookie reports a cookie past MaxAge as "expired timestamp".
	return err != nil && strings.Contains(err.Error(), "expired")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// toSignIn sends the browser to /login, remembering where it was going.
// htmx requests get HX-Redirect, as a redirect would be swapped into the
// page.
func (s *server) toSignIn(w http.ResponseWriter, r *http.Request, reason string) {
	q := url.Values{}
	if reason != "" {
		q.Set("reason", reason)
	}
	if r.Method == http.MethodGet && !isHTMX(r) && r.URL.Path != "/" {
		q.Set("next", r.URL.RequestURI())
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// startSession records a server-side session for emp and issues a fresh
// session cookie carrying its id.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, emp staff.Employee) error {
	id, err := s.Staff.StartSession(r.Context(), emp, peerIP(r), r.UserAgent(), s.Now())
	if err != nil {
		return err
	}
	sess := sessions.NewSession(s.store, sessionCookie)
	opts := *s.store.Options
	sess.Options = &opts
	now := s.Now().Unix()
	sess.Values[keySession] = id.String()
	roles := make([]string, 0, len(emp.GroupRoles))
	for _, r := range emp.GroupRoles {
		roles = append(roles, string(r))
	}
	sess.Values[keyStaff] = emp.ID.String()
	sess.Values[keyTenant] = emp.TenantID.String()
	sess.Values[keyGroupRoles] = strings.Join(roles, " ")
	sess.Values[keyIssued] = now
	sess.Values[keySeen] = now
	return sess.Save(r, w)
}

// peerIP is the address the request came from, as the staff page shows
// a session's origin. X-Forwarded-For is not read: the portal names no
// trusted proxy, and a forged header must not hide where a session came
// from.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode})
}

// flash queues a message for the next page the employee sees.
func (s *server) flash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	sess, err := s.store.Get(r, sessionCookie)
	if err != nil || sess.IsNew {
		return
	}
	sess.AddFlash(layout.Flash{Kind: kind, Message: msg})
	if err := sess.Save(r, w); err != nil {
		s.Logger.ErrorContext(r.Context(), "save flash", slog.Any("error", err))
	}
}

// takeFlashes pops the queued messages.
func (s *server) takeFlashes(w http.ResponseWriter, r *http.Request) []layout.Flash {
	sess, err := s.store.Get(r, sessionCookie)
	if err != nil || sess.IsNew {
		return nil
	}
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	if err := sess.Save(r, w); err != nil {
		s.Logger.ErrorContext(r.Context(), "save session", slog.Any("error", err))
	}
	out := make([]layout.Flash, 0, len(raw))
	for _, f := range raw {
		if fl, ok := f.(layout.Flash); ok {
			out = append(out, fl)
		}
	}
	return out
}

var errForbidden = apperr.New(apperr.Forbidden, "you do not have permission to open this page")

var errCrossOrigin = apperr.New(apperr.Forbidden, "this request came from another site and was refused")
