package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"golang.org/x/oauth2"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/views/pages"
)

var (
	errExchange = errors.New("code exchange failed")
	errIDToken  = errors.New("ID token refused")
)

var urlQueryEscape = url.QueryEscape

// Audit reason codes of sign-ins refused before an identity is known.
const (
	reasonStateMissing  = "STATE_MISSING"
	reasonStateMismatch = "STATE_MISMATCH"
	reasonNonceMismatch = "NONCE_MISMATCH"
	reasonTokenInvalid  = "ID_TOKEN_INVALID"
	reasonExchange      = "CODE_EXCHANGE_FAILED"
	reasonProviderError = "PROVIDER_ERROR"
)

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// localPath accepts only a path on this site, so that ?next= cannot send
// people elsewhere after sign-in.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

var signInMessages = map[string]string{
	reasonExpired:   "Your session has ended. Sign in again to continue.",
	reasonInvalid:   "Your session could not be read, so it was ended. Sign in again to continue.",
	reasonSignedOut: "You have signed out.",
	reasonEnded:     "Your session was ended: signed out, or ended by an administrator. Sign in again to continue.",
}

// handleLogin starts the authorization code flow, or first explains why the
// previous session ended.
func (s *server) handleLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := localPath(r.URL.Query().Get("next"))
		if msg, ok := signInMessages[r.URL.Query().Get("reason")]; ok {
			start := "/login"
			if next != "/" {
				start += "?next=" + url.QueryEscape(next)
			}
			s.render(w, r, http.StatusOK, pages.SignInPage(pages.SignIn{Message: msg, StartURL: start, AssetVersion: s.assetVersion}))
			return
		}
		state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
		target, err := s.OIDC.authURL(r.Context(), state, nonce, verifier)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		flow := sessions.NewSession(s.store, authCookie)
		flow.Options = &sessions.Options{Path: "/auth/", MaxAge: int(authFlowTTL.Seconds()), HttpOnly: true,
			Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode}
		flow.Values["state"] = state
		flow.Values["nonce"] = nonce
		flow.Values["verifier"] = verifier
		flow.Values["next"] = next
		flow.Values["created"] = s.Now().Unix()
		if err := flow.Save(r, w); err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, target, http.StatusFound)
	})
}

// signInRefused is a sign-in that failed at the callback.
func (s *server) signInRefused(w http.ResponseWriter, r *http.Request, status int, reason, title, msg string, cause error) {
	s.Logger.InfoContext(r.Context(), "sign-in refused", slog.String("reason", reason), slog.Any("error", cause))
	s.Staff.RecordSignInFailure(r.Context(), reason, map[string]any{"remoteAddr": r.RemoteAddr})
	s.render(w, r, status, pages.ErrorStandalone(pages.ErrorPage{
		Status: status, Title: title, Message: msg, AssetVersion: s.assetVersion,
		ActionURL: "/login", ActionLabel: "Start sign-in again",
	}))
}

// handleCallback completes the flow: state, code exchange with the PKCE
// verifier, ID token verification, nonce, then the employee.
func (s *server) handleCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flow, err := s.store.Get(r, authCookie)
		// The flow cookie is good for one attempt.
		http.SetCookie(w, &http.Cookie{Name: authCookie, Value: "", Path: "/auth/", MaxAge: -1, HttpOnly: true,
			Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode})
		created, _ := flow.Values["created"].(int64)
		if err != nil || flow.IsNew || s.Now().Sub(time.Unix(created, 0)) > authFlowTTL {
			s.signInRefused(w, r, http.StatusBadRequest, reasonStateMissing, "This sign-in has expired",
				"The sign-in took too long or was already used. Start again.", err)
			return
		}
		q := r.URL.Query()
		if e := q.Get("error"); e != "" {
			msg := "The sign-in provider refused the sign-in (" + e + ")."
			if d := q.Get("error_description"); d != "" {
				msg += " It said: " + d
			}
			s.signInRefused(w, r, http.StatusBadRequest, reasonProviderError, "Sign-in was not completed", msg, nil)
			return
		}
		wantState, _ := flow.Values["state"].(string)
		if wantState == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(wantState)) != 1 {
			s.signInRefused(w, r, http.StatusBadRequest, reasonStateMismatch, "Sign-in refused",
				"The sign-in response does not belong to the sign-in this browser started. Start again.", nil)
			return
		}
		verifier, _ := flow.Values["verifier"].(string)
		tok, err := s.OIDC.exchange(r.Context(), q.Get("code"), verifier)
		switch {
		case errors.Is(err, errExchange):
			s.signInRefused(w, r, http.StatusBadRequest, reasonExchange, "Sign-in refused",
				"The sign-in provider did not accept the sign-in code. Start again.", err)
			return
		case errors.Is(err, errIDToken):
			s.signInRefused(w, r, http.StatusBadRequest, reasonTokenInvalid, "Sign-in refused",
				"The identity token from the sign-in provider is not valid for this site (wrong issuer, audience, signature or expiry).", err)
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		wantNonce, _ := flow.Values["nonce"].(string)
		if wantNonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(wantNonce)) != 1 {
			s.signInRefused(w, r, http.StatusBadRequest, reasonNonceMismatch, "Sign-in refused",
				"The identity token was not issued for this sign-in (nonce mismatch). Start again.", nil)
			return
		}
		emp, err := s.Staff.SignIn(r.Context(), staff.Identity{
			Issuer: tok.Issuer, Subject: tok.Subject, Email: tok.Email, EmailVerified: tok.EmailVerified,
			Name: tok.Name, Groups: tok.Groups,
		}, s.Config.OIDC.RoleMap)
		if err != nil {
			if apperr.CodeOf(err) == apperr.Forbidden {
				s.render(w, r, http.StatusForbidden, pages.ErrorStandalone(pages.ErrorPage{
					Status: http.StatusForbidden, Title: "No access to the back office",
					Message:      noAccessMessage(err, tok.Email),
					AssetVersion: s.assetVersion,
				}))
				return
			}
			s.fail(w, r, err)
			return
		}
		if err := s.startSession(w, r, emp); err != nil {
			s.fail(w, r, err)
			return
		}
		next, _ := flow.Values["next"].(string)
		http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	})
}

func noAccessMessage(err error, email string) string {
	who := "This account"
	if email != "" {
		who = email
	}
	e, _ := apperr.As(err)
	switch e.APICode {
	case staff.ReasonDeactivated:
		return who + " belongs to an employee record that has been deactivated. Ask your administrator to reactivate it."
	case staff.ReasonNoRole:
		return who + " has no role in the back office yet. Ask your administrator to grant one."
	case staff.ReasonTenantSuspended:
		return "The organisation " + who + " belongs to is suspended."
	default:
		return who + " signed in at the identity provider, but no organisation on this installation knows it. Ask your administrator to add you as an employee."
	}
}

// handleLogout ends the session here and, when the provider offers it,
// there too.
func (s *server) handleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		// The server-side session ends, so a copy of the cookie is refused
		// too, not only the one this browser is told to forget.
		s.clearCookie(w, sessionCookie)
		if err := s.Staff.SignOut(r.Context(), emp, sessionIDFrom(r.Context())); err != nil {
			s.fail(w, r, err)
			return
		}
		back := s.Config.PublicURL.String() + "/login?reason=" + reasonSignedOut
		target := "/login?reason=" + reasonSignedOut
		if u := s.OIDC.logoutURL(r.Context(), back); u != "" {
			target = u
		}
		if r.Header.Get("HX-Request") == "true" {
			w.Header().Set("HX-Redirect", target)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}
