package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/ratelimit"
)

func tokensDTO(t customerauth.Tokens) map[string]any {
	out := map[string]any{
		"accessToken":  t.AccessToken,
		"refreshToken": t.RefreshToken,
		"tokenType":    "Bearer",
		"expiresIn":    t.ExpiresIn,
		"customerId":   t.CustomerID,
	}
	if t.PasswordChangeRequired {
		out["passwordChangeRequired"] = true
	}
	return out
}

// HandleLogin is POST /customer/session: e-mail and password → tokens, or
// a one-time-code challenge when the tenant requires one.
func (a *API) HandleLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		// Failed sign-ins are limited per address and per e-mail address,
		// registered or not, so the limit tells nothing either.
		l := a.rateLimits(r, t.ID)
		limits := []ratelimit.Key{ratelimit.NewKey(t.ID, rateSignInIP, clientIP(r), l.SignInIP),
			ratelimit.NewKey(t.ID, rateSignInAccount, req.Email, l.SignInAccount)}
		if a.rateLimited(w, r, nil, limits...) {
			return
		}
		res, err := a.Auth.Login(r.Context(), t.ID, customerauth.LoginInput{Email: req.Email, Password: req.Password,
			IP: clientIP(r), UserAgent: r.UserAgent()})
		if err != nil {
			if apperr.CodeOf(err) == apperr.Unauthenticated { // not a lock shown to the right password
				a.rateFailed(r, limits...)
			}
			a.WriteError(w, r, err)
			return
		}
		if ch := res.Challenge; ch != nil {
			WriteData(w, http.StatusOK, map[string]any{"otpRequired": true, "challengeId": ch.ID, "channel": ch.Channel,
				"expiresAt": ch.ExpiresAt.UTC().Format(time.RFC3339)})
			return
		}
		WriteData(w, http.StatusOK, tokensDTO(*res.Tokens))
	})
}

// HandleLoginOTP is POST /customer/session/otp: the sign-in's one-time
// code → tokens.
func (a *API) HandleLoginOTP() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			ChallengeID string `json:"challengeId"`
			Code        string `json:"code"`
		}
		l := a.rateLimits(r, t.ID)
		limits := []ratelimit.Key{ratelimit.NewKey(t.ID, rateOTPIP, clientIP(r), l.OTPIP)}
		if a.rateLimited(w, r, nil, limits...) {
			return
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		// Wrong codes are limited per customer too, across challenges.
		if c := a.Auth.ChallengeCustomer(r.Context(), t.ID, req.ChallengeID); c != uuid.Nil {
			limits = append(limits, ratelimit.NewKey(t.ID, rateOTPAccount, c.String(), l.OTPAccount))
			if a.rateLimited(w, r, nil, limits[1:]...) {
				return
			}
		}
		tokens, err := a.Auth.CompleteLogin(r.Context(), t.ID, req.ChallengeID, req.Code, clientIP(r), r.UserAgent())
		if err != nil {
			if isFailedAttempt(err) {
				a.rateFailed(r, limits...)
			}
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, tokensDTO(tokens))
	})
}

// HandleRefresh is POST /customer/session/refresh.
func (a *API) HandleRefresh() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			RefreshToken string `json:"refreshToken"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		tokens, err := a.Auth.Refresh(r.Context(), t.ID, req.RefreshToken)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, tokensDTO(tokens))
	})
}

// HandleLogout is DELETE /customer/session: the customer token's session
// ends.
func (a *API) HandleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		if err := a.Auth.Logout(r.Context(), p.TenantID, p.CustomerID, p.SessionID); err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"sessionId": p.SessionID, "loggedOut": true})
	})
}

// HandleChangePassword is POST /customer/password: a signed-in customer
// replaces their password under the tenant's policy and history; their
// other sessions end, this one goes on.
func (a *API) HandleChangePassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		p, _ := PrincipalFrom(r.Context())
		var req struct {
			CurrentPassword  string `json:"currentPassword"`
			NewPassword      string `json:"newPassword"`
			MatchingPassword string `json:"matchingPassword"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if err := a.Auth.ChangePassword(r.Context(), t.ID, p.CustomerID, callerSession(r.Context()), req.CurrentPassword, req.NewPassword, req.MatchingPassword); err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"customerId": p.CustomerID, "passwordChanged": true})
	})
}

func init() {
	Document("POST "+Prefix+"/customer/password", Operation{
		Tag: "Sessions", Summary: "Change the signed-in customer's password",
		Description: "The new password must keep the tenant's password policy and differ from the last historyCount passwords. Sign-in answers passwordChangeRequired: true once a password is older than the policy's maxAgeDays. " +
			"The change ends every other session of the customer: their access tokens and refresh tokens answer 401 (TOKEN_REVOKED, SESSION_REVOKED) from then on; the session that made the change goes on.",
		Request: obj(map[string]any{"currentPassword": str(""), "newPassword": str(""), "matchingPassword": str("")},
			"currentPassword", "newPassword", "matchingPassword"),
		Response: obj(map[string]any{"customerId": uuidStr(""), "passwordChanged": boolean("")}),
		Errors:   []int{422},
	})
}
