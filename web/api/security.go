package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customerauth"
)

// subjectCustomer is the customer a security call acts on: a customer
// token's own (customerId may repeat it; another id is 404), or for an
// admin token the customerId of the body.
func subjectCustomer(ctx context.Context, raw string) (uuid.UUID, error) {
	p, _ := PrincipalFrom(ctx)
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if p.Kind == credential.KindCustomer {
			return p.CustomerID, nil
		}
		return uuid.Nil, apperr.Validation(apperr.FieldError{Field: "customerId", Issue: "is required"})
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, apperr.Validation(apperr.FieldError{Field: "customerId", Issue: "must be a customer id (UUID)"})
	}
	if err := OwnCustomer(ctx, id); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// callerSession is the session of a customer token, which a password or
// PIN change keeps while it ends the customer's others; uuid.Nil for an
// admin token, whose change ends them all.
func callerSession(ctx context.Context) uuid.UUID {
	p, _ := PrincipalFrom(ctx)
	if p.Kind != credential.KindCustomer {
		return uuid.Nil
	}
	id, _ := uuid.Parse(p.SessionID)
	return id
}

// decodeSubject decodes the body into v and finds the customer it acts on.
func (a *API) decodeSubject(w http.ResponseWriter, r *http.Request, v any, customerID *string) (uuid.UUID, bool) {
	if err := Decode(w, r, v, MaxBody); err != nil {
		a.WriteError(w, r, err)
		return uuid.Nil, false
	}
	id, err := subjectCustomer(r.Context(), *customerID)
	if err != nil {
		a.WriteError(w, r, err)
		return uuid.Nil, false
	}
	return id, true
}

func pinDTO(s customerauth.PINStatus) map[string]any {
	var at any
	if s.SetAt != nil {
		at = s.SetAt.UTC().Format(time.RFC3339)
	}
	return map[string]any{"customerId": s.CustomerID, "pinSet": s.Set, "pinSetAt": at}
}

// HandlePINSet is POST /security/pin.
func (a *API) HandlePINSet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			CustomerID string `json:"customerId"`
			PIN        string `json:"pin"`
			CurrentPIN string `json:"currentPin"`
		}
		id, ok := a.decodeSubject(w, r, &req, &req.CustomerID)
		if !ok {
			return
		}
		st, err := a.Auth.SetPIN(r.Context(), t.ID, id, callerSession(r.Context()), req.PIN, req.CurrentPIN)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, pinDTO(st))
	})
}

// HandlePINVerify is POST /security/pin/verify.
func (a *API) HandlePINVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			CustomerID string `json:"customerId"`
			PIN        string `json:"pin"`
		}
		id, ok := a.decodeSubject(w, r, &req, &req.CustomerID)
		if !ok {
			return
		}
		if err := a.Auth.VerifyPIN(r.Context(), t.ID, id, req.PIN); err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"customerId": id, "verified": true})
	})
}

// HandlePINReset is POST /security/pin/reset: a one-time code of purpose
// PIN_RESET removes the PIN and its lock, and sets newPin when given.
func (a *API) HandlePINReset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			CustomerID  string `json:"customerId"`
			ChallengeID string `json:"challengeId"`
			Code        string `json:"code"`
			NewPIN      string `json:"newPin"`
		}
		id, ok := a.decodeSubject(w, r, &req, &req.CustomerID)
		if !ok {
			return
		}
		st, err := a.Auth.ResetPINWithOTP(r.Context(), t.ID, id, callerSession(r.Context()), req.ChallengeID, req.Code, req.NewPIN)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, pinDTO(st))
	})
}

// HandleOTPSend is POST /security/otp/send.
func (a *API) HandleOTPSend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			CustomerID string `json:"customerId"`
			Channel    string `json:"channel"`
			Purpose    string `json:"purpose"`
		}
		id, ok := a.decodeSubject(w, r, &req, &req.CustomerID)
		if !ok {
			return
		}
		ch, err := a.Auth.SendOTP(r.Context(), t.ID, id, req.Channel, req.Purpose)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"challengeId": ch.ID, "expiresAt": ch.ExpiresAt.UTC().Format(time.RFC3339),
			"channel": ch.Channel, "purpose": ch.Purpose})
	})
}

// HandleOTPVerify is POST /security/otp/verify.
func (a *API) HandleOTPVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		var req struct {
			ChallengeID string `json:"challengeId"`
			Code        string `json:"code"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		var own *uuid.UUID
		if p, _ := PrincipalFrom(r.Context()); p.Kind == credential.KindCustomer {
			own = &p.CustomerID
		}
		ch, err := a.Auth.VerifyOTP(r.Context(), t.ID, own, req.ChallengeID, req.Code)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"challengeId": ch.ID, "customerId": ch.CustomerID, "purpose": ch.Purpose, "verified": true})
	})
}

// HandleTOTPBegin is POST /security/totp: a new authenticator-app secret
// for the customer token's customer, shown once.
func (a *API) HandleTOTPBegin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		p, _ := PrincipalFrom(r.Context())
		var req struct{}
		if r.ContentLength != 0 {
			if err := Decode(w, r, &req, MaxBody); err != nil {
				a.WriteError(w, r, err)
				return
			}
		}
		e, err := a.Auth.BeginTOTP(r.Context(), t.ID, p.CustomerID, t.Name)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"secret": e.Secret, "otpauthUri": e.URI, "algorithm": "SHA1",
			"digits": credential.TOTPDigits, "period": int(credential.TOTPPeriod / time.Second)})
	})
}

// HandleTOTPConfirm is POST /security/totp/confirm.
func (a *API) HandleTOTPConfirm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		p, _ := PrincipalFrom(r.Context())
		var req struct {
			Code string `json:"code"`
		}
		if err := Decode(w, r, &req, MaxBody); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if err := a.Auth.ConfirmTOTP(r.Context(), t.ID, p.CustomerID, req.Code); err != nil {
			a.WriteError(w, r, err)
			return
		}
		WriteData(w, http.StatusOK, map[string]any{"customerId": p.CustomerID, "totpEnrolled": true})
	})
}
